import { closeSync, openSync } from 'node:fs';
import { readAt } from './spool-files.js';

/** What the cursor reads: a segment file, `size` bytes of it committed. */
export interface CursorSegment {
  path: string;
  size: number;
  sealed: boolean;
}

/** The outcome of one read: whole lines (without newline) and the bytes that had to be skipped. */
export interface CursorRead {
  lines: Buffer[];
  skipped: { offset: number; why: string }[];
}

const MiB = 1024 * 1024;

/**
 * The spool's read position within one segment. Reads whole lines only: a
 * line cut by the chunk boundary is read again next time; the bytes after
 * the last newline of a sealed segment (a write cut short by a crash) and
 * any line longer than an event can be are skipped and reported.
 */
export class SegmentCursor<S extends CursorSegment> {
  offset = 0;
  private fd: number | undefined;
  private skipToNewline = false;

  constructor(readonly seg: S, private readonly maxLineBytes: number) {}

  /** Everything committed so far has been read. */
  atEnd(): boolean {
    return this.offset >= this.seg.size;
  }

  /** Whether new lines written at `offset` would be the next ones this cursor reads. */
  isAt(seg: CursorSegment, offset: number): boolean {
    return this.seg === seg && this.offset === offset && !this.skipToNewline;
  }

  /** Reads the next chunk (about 1 MiB) of whole lines; the chunk is copied out line by line. */
  async read(): Promise<CursorRead> {
    const out: CursorRead = { lines: [], skipped: [] };
    const start = this.offset;
    this.fd ??= openSync(this.seg.path, 'r');
    const chunk = Buffer.allocUnsafe(Math.min(this.seg.size - start, Math.max(MiB, this.maxLineBytes + 1)));
    const n = await readAt(this.fd, chunk, start);
    if (n === 0) {
      // Shorter than recorded (truncated behind our back): nothing more to read in it.
      out.skipped.push({ offset: start, why: 'segment ends early' });
      this.offset = this.seg.size;
      return out;
    }
    let pos = 0;
    if (this.skipToNewline) {
      const nl = chunk.indexOf(10);
      if (nl === -1 || nl >= n) {
        this.offset += n;
        return out;
      }
      pos = nl + 1;
      this.skipToNewline = false;
    }
    for (let nl = chunk.indexOf(10, pos); nl !== -1 && nl < n; nl = chunk.indexOf(10, pos)) {
      // A copy, so one record kept in flight does not pin the whole chunk.
      out.lines.push(Buffer.from(chunk.subarray(pos, nl)));
      pos = nl + 1;
    }
    if (pos === 0 && start + n >= this.seg.size) {
      out.skipped.push({ offset: start, why: 'torn last line (the process stopped mid-write)' });
      pos = n;
    } else if (pos === 0 && n > this.maxLineBytes) {
      out.skipped.push({ offset: start, why: 'line longer than any event' });
      this.skipToNewline = true;
      pos = n;
    }
    this.offset = start + pos;
    return out;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
