import { closeSync, mkdirSync, openSync, unlinkSync } from 'node:fs';
import { auditSubject, type AuditEvent } from '@agentrail/core';
import { AuditFullError } from './audit-transport.js';
import { GroupCommitWriter, type PendingLine } from './group-commit-writer.js';
import { SegmentCursor } from './segment-cursor.js';
import { listSegments, lockDir, parseSpooledLine, segmentPath, syncDir } from './spool-files.js';

/**
 * Diagnostics of the audit pipeline (a winston Logger fits). Events themselves
 * are never logged: the audit trail is not a log.
 */
export interface AuditLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** How to open a spool. */
export interface AuditSpoolOptions {
  /** Directory of segment files; created if missing. One process per directory (locked). */
  dir: string;
  /** Bound on the spool's bytes (on disk plus not yet written); default 256 MiB. */
  maxBytes?: number;
  /** A segment is sealed and a new one started at this size; default 8 MiB, at most maxBytes / 4. */
  segmentBytes?: number;
  /** fdatasync after every group commit (survives power loss, costs a disk flush per batch); default false. */
  fsync?: boolean;
  /** Largest event accepted; default 1 MiB, NATS's default max_payload — a bigger one could never be delivered. */
  maxEventBytes?: number;
  /** Committed records kept in memory for the publisher when it keeps up; beyond that it reads the segments. Default 4 MiB. */
  readAheadBytes?: number;
  logger?: AuditLogger;
  /** Bytes not yet delivered changed (for a gauge; 0 once everything is delivered). */
  onBytes?: (undeliveredBytes: number) => void;
  /** A write failed or a spooled line could not be read (torn, corrupt). */
  onError?: (reason: string) => void;
}

/** One spooled event as the publisher needs it: the JSON is sent as it was written. */
export interface SpooledRecord {
  readonly id: string;
  readonly subject: string;
  readonly data: Buffer;
}

interface Segment {
  seq: number;
  path: string;
  /** Bytes written (committed) so far. */
  size: number;
  sealed: boolean;
  /** Records past the read cursor that are not acked yet. */
  outstanding: number;
  /** Bytes of acked records still in the file. */
  acked: number;
  fd?: number;
}

const MiB = 1024 * 1024;

/**
 * The sidecar's local, append-only audit spool (DESIGN §3.8): events are
 * written here before delivery and leave only when JetStream has them.
 *
 * Segments are JSON-lines files. `append` is synchronous and only queues;
 * queued events are group-committed — one vectored write (and optionally one
 * fdatasync) per event-loop turn, however many events came in. The publisher
 * `take`s committed records behind a read cursor and `ack`s them by id; a
 * segment is deleted once the cursor has passed it and all its records are
 * acked. Memory stays bounded however long delivery is down: beyond a small
 * read-ahead, records are re-read from the segments, and only records handed
 * out and not yet acked are tracked (the publisher bounds those).
 *
 * Acks are not persisted: reopening replays every surviving segment, and the
 * duplicates that makes are dropped by JetStream (Nats-Msg-Id) and the
 * collector (event id). A torn last line from a crash is skipped and logged.
 */
export class AuditSpool {
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly maxEventBytes: number;
  private readonly readAheadBytes: number;
  private readonly segments: Segment[] = [];
  private active!: Segment;
  private cursor!: SegmentCursor<Segment>;
  private readonly ready: SpooledRecord[] = [];
  private readyBytes = 0;
  /** Records past the cursor and not acked, by id (a list: the same id may be spooled twice). */
  private readonly handedOut = new Map<string, { seg: Segment; bytes: number }[]>();
  private readonly writer: GroupCommitWriter<Segment>;
  private diskBytes = 0;
  private ackedBytes = 0;
  private reading: Promise<void> | undefined;
  private closed = false;
  private full = false;
  private listener: (() => void) | undefined;
  private readonly unlock: () => void;

  private constructor(private readonly opts: AuditSpoolOptions) {
    this.maxBytes = opts.maxBytes ?? 256 * MiB;
    this.segmentBytes = Math.max(1, Math.min(opts.segmentBytes ?? 8 * MiB, Math.floor(this.maxBytes / 4)));
    this.maxEventBytes = opts.maxEventBytes ?? MiB;
    this.readAheadBytes = opts.readAheadBytes ?? 4 * MiB;
    this.writer = new GroupCommitWriter<Segment>({
      fsync: opts.fsync ?? false,
      target: () => this.active,
      onWritten: (seg, offset, batch, bytes) => this.committed(seg, offset, batch, bytes),
      onFailed: (err, lines) => {
        this.opts.logger?.error('audit spool write failed; retrying', { error: String(err), events: lines });
        this.opts.onError?.('spool-write');
      },
    });
    mkdirSync(opts.dir, { recursive: true });
    this.unlock = lockDir(opts.dir);
  }

  /** Opens (or creates) the spool in `opts.dir`; what earlier runs left there is delivered again. */
  static open(opts: AuditSpoolOptions): AuditSpool {
    const spool = new AuditSpool(opts);
    try {
      spool.recover();
    } catch (err) {
      spool.unlock();
      throw err;
    }
    return spool;
  }

  private recover(): void {
    let last = 0;
    for (const found of listSegments(this.opts.dir)) {
      last = found.seq;
      if (found.size === 0) {
        unlinkSync(found.path);
        continue;
      }
      this.segments.push({ ...found, sealed: true, outstanding: 0, acked: 0 });
      this.diskBytes += found.size;
    }
    if (this.segments.length > 0) {
      this.opts.logger?.info('replaying audit spool', { segments: this.segments.length, bytes: this.diskBytes });
    }
    this.active = this.openSegment(last + 1);
    this.cursor = new SegmentCursor(this.segments[0] as Segment, this.maxEventBytes);
    this.opts.onBytes?.(this.undeliveredBytes());
  }

  private openSegment(seq: number): Segment {
    const path = segmentPath(this.opts.dir, seq);
    const seg: Segment = { seq, path, size: 0, sealed: false, outstanding: 0, acked: 0, fd: openSync(path, 'wx') };
    this.segments.push(seg);
    if (this.opts.fsync) {
      try {
        syncDir(this.opts.dir);
      } catch (err) {
        this.opts.logger?.warn('could not fsync the audit spool directory', { error: String(err) });
      }
    }
    return seg;
  }

  /** Spool bytes, what the bound applies to: segments on disk plus events not yet written. */
  bytes(): number {
    return this.diskBytes + this.writer.pendingBytes();
  }

  /** Bytes of events not yet delivered (delivered ones wait in their segment until it can go). */
  undeliveredBytes(): number {
    return this.bytes() - this.ackedBytes;
  }

  /** Whether an event would be accepted now (the bound is not reached). */
  accepting(): boolean {
    return !this.closed && !this.full && this.bytes() < this.maxBytes;
  }

  /**
   * Once full, the spool refuses events until it is back under 90 % of its
   * bound, so the gateway does not flap between refusing and accepting calls
   * with every delivered event.
   */
  private checkFull(): void {
    if (this.full && this.bytes() <= this.maxBytes * 0.9) {
      this.full = false;
      this.opts.logger?.info('audit spool accepts events again', { bytes: this.bytes(), maxBytes: this.maxBytes });
    }
  }

  /** Nothing left to deliver: every event appended or replayed is written, handed out and acked. */
  drained(): boolean {
    return this.writer.idle() && this.handedOut.size === 0 && this.atEnd();
  }

  private atEnd(): boolean {
    return this.cursor.seg === this.active && this.cursor.atEnd();
  }

  /** Called whenever newly committed records can be taken. */
  onAvailable(listener: () => void): void {
    this.listener = listener;
  }

  /**
   * Queues one sealed event; it is on disk within an event-loop turn.
   * `text` is the event's JSON when the caller has it already (the chainer's canonical text).
   *
   * @throws AuditFullError when the spool is at its byte bound, the event is larger than `maxEventBytes`, or the spool is closed.
   */
  append(event: AuditEvent, text?: string): void {
    if (this.closed) throw new AuditFullError('the audit spool is closed');
    const line = Buffer.from(`${text ?? JSON.stringify(event)}\n`, 'utf8');
    if (line.length - 1 > this.maxEventBytes) {
      throw new AuditFullError(`audit event ${event.id} is ${line.length - 1} bytes, over the ${this.maxEventBytes}-byte limit`);
    }
    if (this.full || this.bytes() + line.length > this.maxBytes) {
      if (!this.full) {
        this.full = true;
        this.opts.logger?.error('audit spool is full; refusing events until delivery frees space', { bytes: this.bytes(), maxBytes: this.maxBytes });
      }
      throw new AuditFullError(`audit spool is full (${this.bytes()} of ${this.maxBytes} bytes)`);
    }
    this.writer.push({ id: event.id, subject: auditSubject(event), line });
  }

  /** Resolves once everything appended so far is written (or a write failed; it is retried in the background). */
  written(): Promise<void> {
    return this.writer.written();
  }

  /** A batch is on disk: hand it to a caught-up publisher without reading it back, and rotate a full segment. */
  private committed(seg: Segment, offset: number, batch: PendingLine[], bytes: number): void {
    seg.size += bytes;
    this.diskBytes += bytes;
    if (this.cursor.isAt(seg, offset) && this.readyBytes + bytes <= this.readAheadBytes) {
      for (const p of batch) this.queue({ id: p.id, subject: p.subject, data: p.line.subarray(0, p.line.length - 1) }, seg);
      this.cursor.offset = seg.size;
    }
    if (seg.size >= this.segmentBytes) this.rotate();
    this.opts.onBytes?.(this.undeliveredBytes());
    this.checkFull();
    this.listener?.();
    this.rotateIfDrained();
  }

  /** Seals the active segment and starts the next one (or, if that fails, keeps writing the current one). */
  private rotate(): void {
    const old = this.active;
    try {
      this.active = this.openSegment(old.seq + 1);
    } catch (err) {
      this.opts.logger?.error('could not start a new audit spool segment', { error: String(err) });
      this.opts.onError?.('spool-write');
      return;
    }
    try {
      closeSync(old.fd as number);
    } catch { /* its data is written; a failed close loses nothing */ }
    old.fd = undefined;
    old.sealed = true;
    this.advance();
  }

  /** With everything delivered, a large active segment is rotated away so a restart replays little. */
  private rotateIfDrained(): void {
    if (this.closed || this.active.size < Math.min(MiB, this.segmentBytes) || !this.drained()) return;
    this.rotate();
  }

  private queue(record: SpooledRecord, seg: Segment): void {
    this.ready.push(record);
    this.readyBytes += record.data.length;
    seg.outstanding += 1;
    const entry = { seg, bytes: record.data.length + 1 };
    const entries = this.handedOut.get(record.id);
    if (entries) entries.push(entry);
    else this.handedOut.set(record.id, [entry]);
  }

  /**
   * Up to `max` records not handed out before, oldest first. Empty when all
   * committed records are out. One call at a time.
   */
  async take(max: number): Promise<SpooledRecord[]> {
    if (this.ready.length === 0 && this.reading === undefined && !this.closed) {
      this.reading = (async () => {
        while (this.ready.length === 0 && !this.atEnd() && !this.closed) await this.readMore();
      })();
      try {
        await this.reading;
      } finally {
        this.reading = undefined;
      }
    }
    const out = this.ready.splice(0, max);
    for (const r of out) this.readyBytes -= r.data.length;
    return out;
  }

  /** Reads the next chunk at the cursor into the ready queue, skipping torn or corrupt lines. */
  private async readMore(): Promise<void> {
    const cursor = this.cursor;
    if (!cursor.atEnd()) {
      const { lines, skipped } = await cursor.read();
      for (const s of skipped) this.corrupt(cursor.seg, s.offset, s.why);
      for (const line of lines) {
        const parsed = parseSpooledLine(line);
        if ('invalid' in parsed) this.corrupt(cursor.seg, undefined, parsed.invalid);
        else this.queue({ id: parsed.id, subject: parsed.subject, data: line }, cursor.seg);
      }
    }
    this.advance();
  }

  private corrupt(seg: Segment, offset: number | undefined, why: string): void {
    this.opts.logger?.warn('skipping unreadable audit spool line', { segment: seg.path, offset, reason: why });
    this.opts.onError?.('spool-corrupt');
  }

  /** Moves the cursor past fully read sealed segments, deleting those with nothing unacked. */
  private advance(): void {
    while (this.cursor.seg.sealed && this.cursor.atEnd()) {
      const done = this.cursor.seg;
      const next = this.segments[this.segments.indexOf(done) + 1] as Segment;
      this.cursor.close();
      this.cursor = new SegmentCursor(next, this.maxEventBytes);
      this.maybeDelete(done);
    }
  }

  private maybeDelete(seg: Segment): void {
    if (!seg.sealed || seg.outstanding > 0 || seg.seq >= this.cursor.seg.seq) return;
    try {
      unlinkSync(seg.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.opts.logger?.warn('could not delete a delivered audit spool segment', { segment: seg.path, error: String(err) });
      }
    }
    this.segments.splice(this.segments.indexOf(seg), 1);
    this.diskBytes -= seg.size;
    this.ackedBytes -= seg.acked;
    this.checkFull();
  }

  /** Marks a taken record delivered. Unknown ids (already acked) are ignored. */
  ack(id: string): void {
    const entries = this.handedOut.get(id);
    const entry = entries?.shift();
    if (!entry) return;
    if (entries?.length === 0) this.handedOut.delete(id);
    const { seg, bytes } = entry;
    seg.outstanding -= 1;
    seg.acked += bytes;
    this.ackedBytes += bytes;
    if (seg.outstanding === 0) this.maybeDelete(seg);
    if (this.handedOut.size === 0) this.rotateIfDrained();
    this.opts.onBytes?.(this.undeliveredBytes());
  }

  /**
   * Writes what is queued, closes the files and releases the directory. When
   * everything was delivered the last segment is removed too, so the next
   * start replays nothing. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.reading?.catch(() => undefined);
    await this.writer.written();
    this.writer.stop();
    if (!this.writer.idle()) this.opts.logger?.error('audit spool could not write its last events', { bytes: this.writer.pendingBytes() });
    const drained = this.drained();
    this.cursor.close();
    closeSync(this.active.fd as number);
    this.active.fd = undefined;
    if (drained) {
      for (const seg of this.segments) unlinkSync(seg.path);
    }
    this.unlock();
  }
}
