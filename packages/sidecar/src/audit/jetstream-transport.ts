import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { backoffDelay, connectWithRetry, createLogger, ensureAuditStream, reconnectingNatsOptions, type AuditEvent, type AuditStreamOptions } from '@agentrail/core';
import { AuditSpool, type AuditLogger, type AuditSpoolOptions, type SpooledRecord } from './audit-spool.js';
import { AuditFullError, type AuditTransport } from './audit-transport.js';

/**
 * Callbacks for the sidecar's metrics, so this module needs no metrics library.
 * `onError` reasons are a fixed vocabulary: `connect-failed`, `publish-timeout`,
 * `publish-failed`, `no-stream`, `stream-ensure-failed`, `spool-full`,
 * `event-too-large`, `spool-write`, `spool-read`, `spool-corrupt`.
 */
export interface AuditTransportHooks {
  /** Events JetStream acknowledged. */
  onDelivered?(count: number): void;
  onSpoolBytes?(bytes: number): void;
  onError?(reason: string): void;
}

export interface JetStreamAuditTransportOptions {
  /** NATS URL(s). */
  servers: string | string[];
  /** The local spool (directory, byte bound, segment size, fsync). */
  spool: Omit<AuditSpoolOptions, 'logger' | 'onBytes' | 'onError'>;
  /** Publishes awaiting their PubAck (retries included); default 256. Bounds memory while NATS is slow or down. */
  maxInFlight?: number;
  /** Wait for a PubAck before retrying; default 5 s. */
  publishTimeoutMs?: number;
  /** Retry backoff: base and cap, with jitter; defaults 100 ms and 5 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Pause between reconnect attempts (the first connection backs off to 8×); default 250 ms, so a restarted server is found quickly. */
  reconnectWaitMs?: number;
  /** Create the audit stream when it is missing (never change an existing one); default true. */
  ensureStream?: boolean;
  /** Settings for a stream this sidecar creates. */
  stream?: Omit<AuditStreamOptions, 'updateExisting'>;
  /** Further connection options (credentials, TLS); the reconnect policy above wins. */
  nats?: Omit<NodeConnectionOptions, 'servers'>;
  logger?: AuditLogger;
  hooks?: AuditTransportHooks;
}

/** How long spooled events wait to be published together. */
const PUMP_DELAY_MS = 5;
/** Bounds of one NATS message: events of one session, in order, as JSON lines. */
const MAX_BATCH_EVENTS = 256;
const MAX_BATCH_BYTES = 256 * 1024;
const NEWLINE = Buffer.from('\n');

/** One NATS message: consecutive spooled events of one subject (session). */
interface Outgoing {
  recs: SpooledRecord[];
  subject: string;
  data: Buffer;
  /** The event's id for one event; first and last id and count for several (so a retry is de-duplicated, a different batch is not). */
  msgID: string;
  attempts: number;
}

/**
 * Groups records into messages: per subject, in spool order, at most
 * MAX_BATCH_EVENTS events and `maxBytes` bytes each (an event bigger than
 * that goes alone; the spool refuses any above NATS's max_payload).
 */
export function batchRecords(recs: readonly SpooledRecord[], maxBytes = MAX_BATCH_BYTES): Omit<Outgoing, 'attempts'>[] {
  const open = new Map<string, { recs: SpooledRecord[]; bytes: number }>();
  const out: Omit<Outgoing, 'attempts'>[] = [];
  const close = (subject: string, b: { recs: SpooledRecord[] }): void => {
    open.delete(subject);
    const { recs: group } = b;
    const first = group[0] as SpooledRecord;
    const last = group[group.length - 1] as SpooledRecord;
    const parts: Buffer[] = [];
    for (const r of group) parts.push(r.data, NEWLINE);
    parts.pop();
    out.push({
      recs: group,
      subject,
      data: group.length === 1 ? first.data : Buffer.concat(parts),
      msgID: group.length === 1 ? first.id : `${first.id}-${last.id}-${group.length}`,
    });
  };
  for (const r of recs) {
    let b = open.get(r.subject);
    if (b !== undefined && (b.recs.length >= MAX_BATCH_EVENTS || b.bytes + 1 + r.data.length > maxBytes)) {
      close(r.subject, b);
      b = undefined;
    }
    if (b === undefined) open.set(r.subject, (b = { recs: [], bytes: -1 }));
    b.recs.push(r);
    b.bytes += 1 + r.data.length;
  }
  for (const [subject, b] of open) close(subject, b);
  return out;
}

function classify(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { name?: string } };
  if (e.name === 'TimeoutError') return 'publish-timeout';
  // A JetStream publish nobody answers: no stream takes the subject (or JetStream is still starting).
  if (e.name === 'JetStreamNotEnabled' || e.cause?.name === 'NoRespondersError' || /no responders/i.test(e.message ?? '')) return 'no-stream';
  return 'publish-failed';
}

/**
 * Delivers audit events to JetStream through a durable local spool (DESIGN
 * §3.8, §5). `write()` only appends to the spool; a background publisher
 * sends spooled events a bounded number at a time, several events of one
 * session per message (JSON lines; `Nats-Msg-Id` is the event id for one
 * event, and names first, last and count for several), and removes them from
 * the spool only when JetStream has acknowledged their message. One PubAck
 * per batch instead of per event: per-message wake-ups were most of the
 * delivery cost at moderate rates. Failed publishes are retried with jittered backoff, never dropped. The
 * connection retries forever, so the sidecar starts and keeps spooling while
 * NATS is down, and catches up once it is back.
 *
 * @example
 * const audit = JetStreamAuditTransport.start({ servers: 'nats://nats:4222', spool: { dir: '/var/run/agentrail/spool' } });
 * audit.write(event);
 * await audit.close(5_000);
 */
export class JetStreamAuditTransport implements AuditTransport {
  private readonly spool: AuditSpool;
  private readonly log: AuditLogger;
  private readonly hooks: AuditTransportHooks;
  private readonly maxInFlight: number;
  private readonly publishTimeoutMs: number;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private connected = false;
  private stopped = false;
  private closing: Promise<void> | undefined;
  private inFlight = 0;
  private parked: Outgoing[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private pumping = false;
  private pumpAgain = false;
  private ensuring: Promise<void> | undefined;
  private lastEnsure = 0;
  private failing = false;
  private readonly flushWaiters = new Set<() => void>();
  private wakeConnectLoop: (() => void) | undefined;
  private pumpTimer: NodeJS.Timeout | undefined;
  /** The last take filled the in-flight bound: more may be waiting, so an ack takes more at once. */
  private backlog = false;

  private constructor(private readonly opts: JetStreamAuditTransportOptions) {
    this.log = opts.logger ?? createLogger('info', { component: 'audit-transport' });
    this.hooks = opts.hooks ?? {};
    this.maxInFlight = opts.maxInFlight ?? 256;
    this.publishTimeoutMs = opts.publishTimeoutMs ?? 5_000;
    this.spool = AuditSpool.open({
      ...opts.spool,
      logger: this.log,
      onBytes: (b) => this.hooks.onSpoolBytes?.(b),
      onError: (reason) => this.hooks.onError?.(reason),
    });
    // Events are taken from the spool a few milliseconds after the first one is
    // written, not one by one: at moderate rates every publish and its PubAck
    // otherwise cost event-loop wake-ups of their own, which dominate the CPU.
    this.spool.onAvailable(() => {
      if (this.pumpTimer !== undefined) return;
      this.pumpTimer = setTimeout(() => {
        this.pumpTimer = undefined;
        this.pump();
      }, PUMP_DELAY_MS);
    });
  }

  /** Opens the spool (replaying what it holds) and starts connecting in the background. */
  static start(opts: JetStreamAuditTransportOptions): JetStreamAuditTransport {
    const transport = new JetStreamAuditTransport(opts);
    void transport.connectLoop();
    return transport;
  }

  write(event: AuditEvent, text?: string): void {
    if (this.closing !== undefined) throw new AuditFullError('the audit transport is closed');
    try {
      this.spool.append(event, text);
    } catch (err) {
      // A spool that still accepts refused this one event only: it is over the size limit.
      this.hooks.onError?.(this.spool.accepting() ? 'event-too-large' : 'spool-full');
      throw err;
    }
  }

  accepting(): boolean {
    return this.closing === undefined && this.spool.accepting();
  }

  /** Whether NATS is connected now (for readiness and diagnostics; writes never need it). */
  isConnected(): boolean {
    return this.connected;
  }

  flush(timeoutMs = 5_000): Promise<boolean> {
    if (this.spool.drained()) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.flushWaiters.delete(done);
        resolve(this.spool.drained());
      };
      const timer = setTimeout(done, timeoutMs);
      this.flushWaiters.add(done);
    });
  }

  close(timeoutMs = 5_000): Promise<void> {
    this.closing ??= (async () => {
      await this.flush(timeoutMs);
      this.stopped = true;
      this.connected = false;
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      clearTimeout(this.pumpTimer);
      this.parked = [];
      this.wakeConnectLoop?.();
      for (const done of [...this.flushWaiters]) done();
      // Unacked events stay in the spool for the next start.
      await this.nc?.close().catch(() => undefined);
      await this.spool.close();
    })();
    return this.closing;
  }

  private backoff(attempt: number): number {
    return backoffDelay(attempt, this.opts.retryBaseMs ?? 100, this.opts.retryMaxMs ?? 5_000);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private async connectLoop(): Promise<void> {
    const wait = this.opts.reconnectWaitMs ?? 250;
    // No async traces: the client would otherwise build an Error (stack capture) per publish, for nothing on success.
    const options = reconnectingNatsOptions('agentrail-sidecar-audit', this.opts.servers, wait, { noAsyncTraces: true, ...this.opts.nats });
    const nc = await connectWithRetry(() => connect(options), {
      stopped: () => this.stopped,
      pause: (ms) => new Promise<void>((resolve) => {
        this.wakeConnectLoop = resolve;
        this.later(ms, resolve);
      }),
      baseMs: wait,
      maxMs: wait * 8,
      onFailure: (attempt, err) => {
        if (attempt === 0) this.log.warn('cannot reach NATS; spooling audit events until it is up', { error: String(err) });
        this.hooks.onError?.('connect-failed');
      },
      discard: (c) => c.close(),
    });
    if (nc !== undefined) this.attach(nc);
  }

  private attach(nc: NatsConnection): void {
    this.nc = nc;
    this.js = jetstream(nc, { timeout: this.publishTimeoutMs });
    this.connected = true;
    this.log.info('connected to NATS for audit delivery', { server: nc.getServer() });
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') {
          this.connected = false;
          this.log.warn('NATS connection lost; spooling audit events', { server: nc.getServer() });
        } else if (s.type === 'reconnect') {
          this.connected = true;
          this.log.info('NATS connection back; delivering spooled audit events', { server: nc.getServer() });
          void this.ensureStream().finally(() => this.resume());
        }
      }
    })();
    void nc.closed().then(() => {
      if (this.stopped || this.nc !== nc) return;
      // Only an unrecoverable error (auth) ends a connection that reconnects forever: start over.
      this.connected = false;
      this.nc = undefined;
      this.js = undefined;
      this.log.error('NATS connection closed; reconnecting');
      void this.connectLoop();
    });
    void this.ensureStream().finally(() => this.resume());
  }

  /** Creates the stream if it is missing (single flight, at most once a second). */
  private ensureStream(): Promise<void> {
    const nc = this.nc;
    if (this.opts.ensureStream === false || nc === undefined || Date.now() - this.lastEnsure < 1_000) return this.ensuring ?? Promise.resolve();
    this.ensuring ??= (async () => {
      this.lastEnsure = Date.now();
      try {
        const jsm = await jetstreamManager(nc, { timeout: this.publishTimeoutMs });
        const { action, warnings } = await ensureAuditStream(jsm, { ...this.opts.stream, updateExisting: false });
        if (action === 'created') this.log.info('created the audit stream');
        for (const w of warnings) this.log.warn(w);
      } catch (err) {
        this.log.warn('could not check the audit stream; publishing anyway', { error: String(err) });
        this.hooks.onError?.('stream-ensure-failed');
      } finally {
        this.ensuring = undefined;
      }
    })();
    return this.ensuring;
  }

  /** Sends what waited for the connection, then takes more from the spool. */
  private resume(): void {
    if (!this.connected || this.stopped) return;
    const parked = this.parked;
    this.parked = [];
    for (const o of parked) this.send(o);
    this.pump();
  }

  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void (async () => {
      try {
        do {
          this.pumpAgain = false;
          while (this.connected && !this.stopped && this.inFlight < this.maxInFlight) {
            const room = this.maxInFlight - this.inFlight;
            const recs = await this.spool.take(room);
            this.backlog = recs.length === room;
            if (recs.length === 0) break;
            this.inFlight += recs.length;
            const maxPayload = this.nc?.info?.max_payload ?? MAX_BATCH_BYTES;
            for (const m of batchRecords(recs, Math.min(MAX_BATCH_BYTES, maxPayload))) this.send({ ...m, attempts: 0 });
          }
        } while (this.pumpAgain && this.connected && !this.stopped);
      } catch (err) {
        this.log.error('could not read the audit spool; retrying', { error: String(err) });
        this.hooks.onError?.('spool-read');
        this.later(1_000, () => this.pump());
      } finally {
        this.pumping = false;
        this.notifyIfDrained();
      }
    })();
  }

  private send(o: Outgoing): void {
    const js = this.js;
    if (this.stopped) {
      this.inFlight -= o.recs.length;
      return;
    }
    if (js === undefined || !this.connected) {
      this.parked.push(o);
      return;
    }
    js.publish(o.subject, o.data, { msgID: o.msgID, timeout: this.publishTimeoutMs }).then(
      () => this.delivered(o),
      (err: unknown) => this.failed(o, err),
    );
  }

  private delivered(o: Outgoing): void {
    this.inFlight -= o.recs.length;
    for (const r of o.recs) this.spool.ack(r.id);
    if (this.failing) {
      this.failing = false;
      this.log.info('audit events are being delivered again');
    }
    this.hooks.onDelivered?.(o.recs.length);
    // Catching up (a backlog, a replay): take more now. Otherwise new events
    // start the pump timer themselves, and waiting for it makes bigger batches.
    if (this.backlog) this.pump();
    else this.notifyIfDrained();
  }

  private failed(o: Outgoing, err: unknown): void {
    if (this.stopped) {
      this.inFlight -= o.recs.length;
      return;
    }
    const reason = classify(err);
    this.hooks.onError?.(reason);
    if (!this.failing) {
      this.failing = true;
      this.log.warn('audit publish failed; retrying with backoff', { reason, error: String(err) });
    }
    if (reason === 'no-stream') void this.ensureStream();
    o.attempts += 1;
    this.later(this.backoff(o.attempts), () => this.send(o));
  }

  private notifyIfDrained(): void {
    if (this.flushWaiters.size > 0 && this.spool.drained()) {
      for (const done of [...this.flushWaiters]) done();
    }
  }
}
