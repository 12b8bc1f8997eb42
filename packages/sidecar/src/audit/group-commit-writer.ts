import { ftruncateSync } from 'node:fs';
import { datasync, writeAllAt, writeAllAtSync } from './spool-files.js';

/** One queued line (with its trailing newline) and what delivery needs to know about it. */
export interface PendingLine {
  id: string;
  subject: string;
  line: Buffer;
}

/** The file a batch goes to: appended at `size`. */
export interface WriteTarget {
  fd?: number;
  size: number;
}

export interface GroupCommitWriterOptions<T extends WriteTarget> {
  /** fdatasync after each batch. */
  fsync: boolean;
  /** Where the next batch goes (asked at the start of each commit). */
  target: () => T;
  /** A batch is on disk at `offset` of `target` (whose size the callee advances). */
  onWritten: (target: T, offset: number, batch: PendingLine[], bytes: number) => void;
  /** A batch could not be written; it is kept and retried after `retryMs`. */
  onFailed: (err: unknown, lines: number) => void;
  retryMs?: number;
}

/**
 * Group commit: lines queued during one event-loop turn go to disk in one
 * vectored write (and at most one fdatasync), through libuv's thread pool so
 * the event loop never waits on the disk. Lines queued while a write is in
 * progress form the next batch. A failed write is truncated away (no torn
 * line stays behind), and the batch is kept and retried.
 */
export class GroupCommitWriter<T extends WriteTarget> {
  private pending: PendingLine[] = [];
  private bytes = 0;
  private scheduled = false;
  private committing: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: GroupCommitWriterOptions<T>) {}

  /** Bytes queued and not yet written. */
  pendingBytes(): number {
    return this.bytes;
  }

  /** Nothing queued and no write in progress. */
  idle(): boolean {
    return this.pending.length === 0 && this.committing === undefined;
  }

  push(p: PendingLine): void {
    this.pending.push(p);
    this.bytes += p.line.length;
    if (!this.scheduled && this.retryTimer === undefined) {
      this.scheduled = true;
      setImmediate(() => void this.commit());
    }
  }

  /** Resolves once everything queued so far is written, or a write failed (it is retried later). */
  async written(): Promise<void> {
    while (!this.idle()) {
      if (this.committing !== undefined) await this.committing;
      else await this.commit();
      if (this.pending.length > 0 && this.committing === undefined) return;
    }
  }

  /** No more retries (the owner is closing). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private async commit(): Promise<void> {
    this.scheduled = false;
    if (this.committing !== undefined || this.pending.length === 0) return;
    const batch = this.pending;
    const bytes = this.bytes;
    this.pending = [];
    this.bytes = 0;
    const target = this.opts.target();
    const fd = target.fd as number;
    const offset = target.size;
    let failure: unknown;
    this.committing = (async () => {
      try {
        if (this.opts.fsync) {
          // A disk flush takes milliseconds: the thread pool keeps it off the event loop.
          await writeAllAt(fd, batch.map((p) => p.line), offset, bytes);
          await datasync(fd);
        } else {
          writeAllAtSync(fd, batch.map((p) => p.line), offset, bytes);
        }
      } catch (err) {
        failure = err ?? new Error('write failed');
      }
    })();
    await this.committing;
    this.committing = undefined;
    if (failure !== undefined) {
      try { ftruncateSync(fd, offset); } catch { /* the retry truncates again */ }
      this.pending = batch.concat(this.pending);
      this.bytes += bytes;
      this.opts.onFailed(failure, batch.length);
      if (!this.stopped) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          void this.commit();
        }, this.opts.retryMs ?? 1_000);
        this.retryTimer.unref();
      }
      return;
    }
    this.opts.onWritten(target, offset, batch, bytes);
    if (this.pending.length > 0) void this.commit();
  }
}
