import { jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import {
  AUDIT_STREAM, COLLECTOR_CONSUMER, backoffDelay, connectWithRetry, createLogger, reconnectingNatsOptions, ensureAuditStream, ensureCollectorConsumer,
  type AuditEvent, type AuditStreamOptions, type ChainBreak,
} from '@agentrail/core';
import type { AuditStore } from '../store/audit-store.js';
import { parseAuditMessage } from './parse-audit-message.js';

/** A message and the events it carries: one, or several of one session. */
interface Pending {
  msg: JsMsg;
  events: AuditEvent[];
}

/**
 * The events a store refused as unstorable (`AUDIT_STORE_EVENT_INVALID`, the
 * store's stable code, whatever the implementation), or undefined for any
 * other failure.
 */
function refusedIds(err: unknown): Set<string> | undefined {
  const e = err as { code?: unknown; eventIds?: unknown } | null;
  if (e?.code !== 'AUDIT_STORE_EVENT_INVALID' || !Array.isArray(e.eventIds)) return undefined;
  return new Set(e.eventIds.filter((id): id is string => typeof id === 'string'));
}

/** Running totals since start. */
export interface IngestCounters {
  /** Events newly stored. */
  ingested: number;
  /** Events already stored (redeliveries, replays). */
  duplicates: number;
  /** Messages that are not storable audit events: terminated, never stored. */
  invalid: number;
  /** Chain problems the store found (hash mismatches, broken links, gaps). */
  breaks: number;
  /** Failed store inserts (the messages are redelivered). */
  storeErrors: number;
  /** Committed batches. */
  batches: number;
}

/** Diagnostics of the ingest (a winston Logger fits); events themselves are never logged. */
export interface IngestLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface JetStreamIngestOptions {
  servers: string | string[];
  store: AuditStore;
  /** Events per store transaction; default 1,000. */
  batchSize?: number;
  /** A batch is committed this long after its first message at the latest; default 50 ms. */
  batchWaitMs?: number;
  /** Redelivery delay after a failed insert; default 1 s. */
  nakDelayMs?: number;
  /** Consumer settings: redelivery after this long unacked (default 30 s), and the unacked bound (default 10,000, at least batchSize). */
  ackWaitMs?: number;
  maxAckPending?: number;
  /** The stream's settings; the collector owns them and updates an existing stream to match. */
  stream?: Omit<AuditStreamOptions, 'updateExisting'>;
  /** Pause between reconnect attempts; default 250 ms. */
  reconnectWaitMs?: number;
  /** Further connection options (credentials, TLS); the reconnect policy wins. */
  nats?: Omit<NodeConnectionOptions, 'servers'>;
  logger?: IngestLogger;
  hooks?: {
    /** After each committed batch. */
    onBatch?(result: { inserted: number; duplicates: number; invalid: number; breaks: readonly ChainBreak[] }): void;
    /** `connect-failed`, `setup-failed`, `invalid-message`, `store-failed`. */
    onError?(reason: string): void;
  };
}

/**
 * The collector's side of the audit transport (DESIGN §5): pulls from the
 * durable consumer, stores each batch in one transaction, and acks the
 * batch's messages only after the store committed it. Redeliveries and
 * sidecar replays are absorbed by the store's idempotent insert, so the trail
 * has no loss and no duplicates. A message carries one event or several of
 * a session (JSON lines); a line that is not a storable event is counted and
 * dropped, and a message with none is terminated, so it can neither stall
 * nor loop.
 *
 * @example
 * const ingest = JetStreamIngest.start({ servers: 'nats://nats:4222', store });
 * …
 * await ingest.stop();
 */
export class JetStreamIngest {
  private readonly log: IngestLogger;
  private readonly batchSize: number;
  private readonly batchWaitMs: number;
  private readonly totals: IngestCounters = { ingested: 0, duplicates: 0, invalid: 0, breaks: 0, storeErrors: 0, batches: 0 };
  private batch: Pending[] = [];
  /** Events in `batch`, and lines of its messages that were not storable events. */
  private batchEvents = 0;
  private batchInvalid = 0;
  private timer: NodeJS.Timeout | undefined;
  private nc: NatsConnection | undefined;
  private messages: ConsumerMessages | undefined;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private sleep: { timer: NodeJS.Timeout; wake: () => void } | undefined;

  private constructor(private readonly opts: JetStreamIngestOptions) {
    this.log = opts.logger ?? createLogger('info', { component: 'collector-ingest' });
    this.batchSize = opts.batchSize ?? 1_000;
    this.batchWaitMs = opts.batchWaitMs ?? 50;
    if (this.batchSize > (opts.maxAckPending ?? 10_000)) {
      throw new RangeError(`batchSize ${this.batchSize} is over maxAckPending ${opts.maxAckPending ?? 10_000}: batches could never fill`);
    }
  }

  /** Starts consuming in the background; connection problems are retried forever. */
  static start(opts: JetStreamIngestOptions): JetStreamIngest {
    const ingest = new JetStreamIngest(opts);
    void ingest.run();
    return ingest;
  }

  /** A copy of the running totals. */
  counters(): IngestCounters {
    return { ...this.totals };
  }

  /** Stops pulling, commits the batch in hand, flushes its acks and disconnects. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      if (this.sleep) {
        clearTimeout(this.sleep.timer);
        this.sleep.wake();
      }
      this.commit();
      await this.messages?.close().catch(() => undefined);
      const nc = this.nc;
      if (nc !== undefined && !nc.isClosed()) {
        await nc.flush().catch(() => undefined); // the batch's acks leave before the socket closes
        await nc.close().catch(() => undefined);
      }
    })();
    return this.stopping;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.sleep = { timer: setTimeout(wake, ms), wake };
    });
  }

  private backoff(attempt: number): number {
    const base = this.opts.reconnectWaitMs ?? 250;
    return backoffDelay(attempt, base, base * 8);
  }

  /** Connects (retrying forever), then keeps a consumer running until stopped. */
  private async run(): Promise<void> {
    while (!this.stopped) {
      const nc = await this.connect();
      if (nc === undefined) return;
      this.log.info('connected to NATS for audit ingest', { server: nc.getServer() });
      // The client reconnects by itself; a closed connection (auth refused) means start over.
      for (let attempt = 0; !this.stopped && !nc.isClosed(); attempt++) {
        try {
          await this.consume(nc);
          attempt = 0;
        } catch (err) {
          if (this.stopped) return;
          this.log.warn('audit consumer is not available; retrying', { error: String(err) });
          this.opts.hooks?.onError?.('setup-failed');
        }
        if (!this.stopped) await this.pause(this.backoff(attempt));
      }
    }
  }

  private async connect(): Promise<NatsConnection | undefined> {
    const wait = this.opts.reconnectWaitMs ?? 250;
    const nc = await connectWithRetry(() => connect(reconnectingNatsOptions('agentrail-collector-ingest', this.opts.servers, wait, this.opts.nats)), {
      stopped: () => this.stopped,
      pause: (ms) => this.pause(ms),
      baseMs: wait,
      maxMs: wait * 8,
      onFailure: (attempt, err) => {
        if (attempt === 0) this.log.warn('cannot reach NATS; retrying', { error: String(err) });
        this.opts.hooks?.onError?.('connect-failed');
      },
      discard: (c) => c.close(),
    });
    this.nc = nc;
    return nc;
  }

  /** Ensures stream and consumer, then consumes until the consumer stops (deleted, connection closed, or stop()). */
  private async consume(nc: NatsConnection): Promise<void> {
    const jsm = await jetstreamManager(nc);
    const stream = await ensureAuditStream(jsm, { ...this.opts.stream, updateExisting: true });
    const consumer = await ensureCollectorConsumer(jsm, { ackWaitMs: this.opts.ackWaitMs, maxAckPending: this.opts.maxAckPending });
    for (const w of [...stream.warnings, ...consumer.warnings]) this.log.warn(w);
    if (stream.action !== 'unchanged') this.log.info(`audit stream ${stream.action}`);
    if (this.stopped) return;
    const c = await jetstream(nc).consumers.get(AUDIT_STREAM, COLLECTOR_CONSUMER);
    // abort_on_missing_resource: a deleted consumer or stream ends consume(), and run() recreates it.
    const messages = await c.consume({ max_messages: this.batchSize, callback: (m) => this.onMessage(m), abort_on_missing_resource: true });
    this.messages = messages;
    if (this.stopped) {
      await messages.close();
      return;
    }
    const closed = await messages.closed();
    if (closed instanceof Error && !this.stopped) throw closed;
  }

  /**
   * Called synchronously for each message (the store is synchronous too, so
   * batches never interleave). A batch is committed once it holds
   * `batchSize` events, or `batchWaitMs` after its first message.
   */
  private onMessage(m: JsMsg): void {
    if (this.stopped) {
      m.nak(); // another collector (or the next start) takes it now rather than after the ack wait
      return;
    }
    const { events, invalid } = parseAuditMessage(m.data);
    for (const reason of invalid) this.drop(m, reason);
    this.batchInvalid += invalid.length;
    if (events.length === 0) {
      this.terminate(m, invalid[0] ?? 'empty message');
      return;
    }
    this.batch.push({ msg: m, events });
    this.batchEvents += events.length;
    if (this.batchEvents >= this.batchSize) this.commit();
    else this.timer ??= setTimeout(() => this.commit(), this.batchWaitMs);
  }

  private commit(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    let batch = this.batch;
    let invalid = this.batchInvalid;
    this.batch = [];
    this.batchEvents = 0;
    this.batchInvalid = 0;
    // At most twice: the second time without the events the store refused as invalid.
    for (let round = 0; batch.length > 0; round++) {
      try {
        this.record(this.opts.store.insert(batch.flatMap((p) => p.events)), invalid);
        for (const p of batch) p.msg.ack(); // only now: the batch is committed
        return;
      } catch (err) {
        const refused = refusedIds(err);
        if (refused === undefined || round > 0) {
          this.totals.storeErrors += 1;
          this.opts.hooks?.onError?.('store-failed');
          this.log.error('storing an audit batch failed; it will be redelivered', { error: String(err), messages: batch.length });
          this.isolate(batch);
          return;
        }
        const before = batch.reduce((n, p) => n + p.events.length, 0);
        batch = batch.filter((p) => this.withoutRefused(p, refused, err));
        invalid += before - batch.reduce((n, p) => n + p.events.length, 0);
      }
    }
  }

  /**
   * Drops from `p` the events the store refused; false when none is left, and
   * the message is then terminated (it can never be stored).
   */
  private withoutRefused(p: Pending, refused: ReadonlySet<string>, err: unknown): boolean {
    const reason = `the store cannot keep it: ${String((err as Error).message)}`;
    const kept = p.events.filter((e) => !refused.has(e.id));
    for (let i = p.events.length - kept.length; i > 0; i--) this.drop(p.msg, reason);
    p.events = kept;
    if (kept.length > 0) return true;
    this.terminate(p.msg, reason);
    return false;
  }

  /** Counts and logs one event (a line of `m`) that can never be stored. */
  private drop(m: JsMsg, reason: string): void {
    this.totals.invalid += 1;
    this.log.warn('dropping a message that is not a storable audit event', { subject: m.subject, streamSeq: m.seq, reason });
    this.opts.hooks?.onError?.('invalid-message');
  }

  /** Terminates a message none of whose events can be stored, so it is neither redelivered nor blocking. */
  private terminate(m: JsMsg, reason: string): void {
    m.term(`not a storable audit event: ${reason}`.slice(0, 256));
  }

  /**
   * After a failed batch, stores its messages one by one: a single message the
   * store cannot take must not hold back the others. What still fails is
   * redelivered after a delay (never terminated — the store may just be down).
   */
  private isolate(batch: Pending[]): void {
    const delay = this.opts.nakDelayMs ?? 1_000;
    if (batch.length === 1) {
      batch[0]?.msg.nak(delay);
      return;
    }
    let failed = 0;
    for (const p of batch) {
      for (let round = 0; ; round++) {
        try {
          this.record(this.opts.store.insert(p.events), 0);
          p.msg.ack();
        } catch (err) {
          const refused = refusedIds(err);
          if (refused !== undefined && round === 0) {
            if (this.withoutRefused(p, refused, err)) continue;
          } else {
            failed += 1;
            p.msg.nak(delay);
          }
        }
        break;
      }
    }
    if (failed > 0 && failed < batch.length) this.log.warn('some audit messages could not be stored', { failed, of: batch.length });
  }

  private record(r: { inserted: number; duplicates: number; breaks: readonly ChainBreak[] }, invalid: number): void {
    this.totals.ingested += r.inserted;
    this.totals.duplicates += r.duplicates;
    this.totals.breaks += r.breaks.length;
    this.totals.batches += 1;
    if (r.breaks.length > 0) {
      this.log.warn('audit chain problems on ingest', { count: r.breaks.length, first: r.breaks.slice(0, 3) });
    }
    this.opts.hooks?.onBatch?.({ inserted: r.inserted, duplicates: r.duplicates, invalid, breaks: r.breaks });
  }
}
