import type { AuditEvent, Logger } from '@agentrail/core';
import type { AuditStore } from '@agentrail/collector';
import { AuditFullError, type AuditTransport } from '@agentrail/sidecar';

export interface StoreAuditTransportOptions {
  store: AuditStore;
  logger: Logger;
  /** Events queued for the store at most; beyond it the gateway fails closed. */
  maxQueued?: number;
  /** Events per transaction. */
  batchSize?: number;
}

/**
 * Local mode's transport: events go straight into the SQLite store, in
 * batched transactions that run after the calls that produced them (a
 * setImmediate turn later), never on a call's path. The queue is bounded;
 * a store that cannot keep up or fails makes `accepting()` false, so the
 * gateway refuses calls rather than losing their events.
 */
export class StoreAuditTransport implements AuditTransport {
  private queue: AuditEvent[] = [];
  private scheduled = false;
  private failing = false;
  private closed = false;
  private readonly maxQueued: number;
  private readonly batchSize: number;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly opts: StoreAuditTransportOptions) {
    this.maxQueued = opts.maxQueued ?? 100_000;
    this.batchSize = opts.batchSize ?? 1000;
  }

  write(event: AuditEvent): void {
    if (this.closed) throw new AuditFullError('the audit store is closed');
    if (!this.accepting()) throw new AuditFullError('the audit store is not keeping up');
    this.queue.push(event);
    this.schedule();
  }

  accepting(): boolean {
    return !this.closed && !this.failing && this.queue.length < this.maxQueued;
  }

  async flush(timeoutMs = 10_000): Promise<boolean> {
    if (this.queue.length === 0) return true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => { clearTimeout(timer); resolve(); });
      this.schedule();
    });
    return this.queue.length === 0;
  }

  async close(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    const done = await this.flush(timeoutMs);
    if (!done) this.opts.logger.error('audit events not stored at shutdown', { events: this.queue.length });
    this.closed = true;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.batchSize);
      try {
        this.opts.store.insert(batch);
      } catch (err) {
        // Kept in the queue and retried; until then calls are refused (fail closed).
        if (!this.failing) this.opts.logger.error('audit store write failed; refusing calls until it recovers', { error: String(err) });
        this.failing = true;
        setTimeout(() => this.schedule(), 500).unref();
        return;
      }
      if (this.failing) this.opts.logger.info('audit store writes recovered');
      this.failing = false;
      this.queue = this.queue.slice(batch.length);
    }
    for (const w of this.waiters.splice(0)) w();
  }
}
