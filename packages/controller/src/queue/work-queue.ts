import { backoffDelay } from '@agentrail/core';

export interface WorkQueueOptions {
  /** Most keys waiting at once; default 10,000. Beyond it adds are refused and counted. */
  maxSize?: number;
  /** Retry backoff for {@link WorkQueue.addRateLimited}: base and cap; defaults 200 ms and 60 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  random?: () => number;
  /** Called for each add refused because the queue is full. */
  onFull?(key: string): void;
}

/**
 * A work queue of string keys with the guarantees of client-go's workqueue:
 * a key waits at most once however often it is added (dedup); a key is handed
 * to one worker at a time, and one added while being processed is handed out
 * again after {@link done}; failed keys come back after a per-key jittered
 * exponential backoff until {@link forget}.
 *
 * Bounded: a full queue refuses the add (counted through `onFull`). For this
 * controller that costs latency, not correctness — the periodic resync adds
 * every key again.
 *
 * @example
 * const q = new WorkQueue();
 * q.add('agents/research');
 * for (let key; (key = await q.get()) !== undefined; q.done(key)) {
 *   try { await work(key); q.forget(key); } catch { q.addRateLimited(key); }
 * }
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly maxSize: number;
  private shuttingDown = false;

  private readonly opts: WorkQueueOptions;

  constructor(opts: WorkQueueOptions = {}) {
    this.opts = opts;
    this.maxSize = opts.maxSize ?? 10_000;
  }

  /** Keys waiting to be handed out (not those being processed or delayed). */
  get length(): number {
    return this.queue.length;
  }

  /** Queues `key` unless it already waits; false when refused (full or shut down). */
  add(key: string): boolean {
    if (this.shuttingDown) return false;
    if (this.dirty.has(key)) return true;
    if (!this.processing.has(key) && this.queue.length >= this.maxSize) {
      this.opts.onFull?.(key);
      return false;
    }
    this.dirty.add(key);
    // A key being processed is queued again by done(), so one worker has it at a time.
    if (this.processing.has(key)) return true;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
    return true;
  }

  /** Adds `key` after `ms`; an earlier pending add of the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const due = Date.now() + ms;
    const pending = this.delayed.get(key);
    if (pending !== undefined && pending.due <= due) return;
    if (pending !== undefined) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.delayed.set(key, { timer, due });
  }

  /** Adds `key` after its next backoff step; returns the delay chosen. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const ms = backoffDelay(n, this.opts.retryBaseMs ?? 200, this.opts.retryMaxMs ?? 60_000, this.opts.random);
    this.addAfter(key, ms);
    return ms;
  }

  /** Failed attempts since the last {@link forget}. */
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Resets `key`'s backoff (after a success, or a terminal failure). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key, once one waits; undefined after {@link shutDown}. Call {@link done} when finished with it. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` finished; it is queued again if it was added meanwhile. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  /** Stops handing out keys: waiting `get()`s resolve undefined, delayed adds are dropped. Idempotent. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.queue.length = 0;
    this.dirty.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
