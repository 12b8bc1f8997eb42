import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { ControllerError } from '../errors.js';
import { silentLog, type ControllerLog } from '../logging.js';
import { POLICY_BUCKET } from '../policy/policy-key.js';
import type { BundleStore } from '../reconcile/policy-reconciler.js';
import { backoffDelay, connectWithRetry, parsePolicyBundle, reconnectingNatsOptions, type PolicyBundle } from '@agentrail/core';

export interface NatsBundleStoreOptions {
  /** NATS URL(s). */
  servers: string | string[];
  log?: ControllerLog;
  /** Called when the connection comes back (or the first time it is made), so the caller can resync: NATS may have lost data meanwhile. */
  onConnected?(): void;
  /** Pause between reconnect attempts; default 250 ms (the first connection backs off to 8×). */
  reconnectWaitMs?: number;
  /** Revisions kept per key (for `nats kv history`); default 5. Only applies when the bucket is created. */
  history?: number;
  /** Further connection options (credentials, TLS); the reconnect policy above wins. */
  nats?: Omit<NodeConnectionOptions, 'servers'>;
}

/**
 * The policy bucket in NATS KV, for the controller. Connects in the background
 * and keeps reconnecting forever; creates the bucket if it is missing (never
 * changes an existing one). While NATS is unreachable every operation fails
 * at once with `NATS_UNAVAILABLE` instead of hanging a worker: the work queue
 * retries with backoff, and `onConnected` lets the controller resync when it
 * is back.
 */
export class NatsBundleStore implements BundleStore {
  private readonly log: ControllerLog;
  private nc: NatsConnection | undefined;
  private kv: KV | undefined;
  private up = false;
  private closed = false;
  private wake: (() => void) | undefined;

  private readonly opts: NatsBundleStoreOptions;

  private constructor(opts: NatsBundleStoreOptions) {
    this.opts = opts;
    this.log = opts.log ?? silentLog;
  }

  /** Starts connecting in the background. */
  static start(opts: NatsBundleStoreOptions): NatsBundleStore {
    const store = new NatsBundleStore(opts);
    void store.connectLoop();
    return store;
  }

  /** Whether the bucket can be used now. */
  connected(): boolean {
    return this.up && this.kv !== undefined;
  }

  async get(key: string): Promise<PolicyBundle | undefined> {
    const entry = await this.op('get', (kv) => kv.get(key));
    if (entry === null || entry.operation !== 'PUT') return undefined;
    return parsePolicyBundle(entry.string());
  }

  async put(key: string, bundle: PolicyBundle): Promise<void> {
    await this.op('put', (kv) => kv.put(key, JSON.stringify(bundle)));
  }

  async delete(key: string): Promise<void> {
    await this.op('delete', (kv) => kv.delete(key));
  }

  async keys(): Promise<string[]> {
    return this.op('keys', async (kv) => {
      const out: string[] = [];
      for await (const k of await kv.keys()) out.push(k);
      return out;
    });
  }

  /** Closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.up = false;
    this.wake?.();
    await this.nc?.close().catch(() => undefined);
  }

  private async op<T>(what: string, fn: (kv: KV) => Promise<T>): Promise<T> {
    const kv = this.kv;
    if (kv === undefined || !this.up) throw new ControllerError('NATS_UNAVAILABLE', `NATS KV ${POLICY_BUCKET} is not reachable now`);
    try {
      return await fn(kv);
    } catch (err) {
      throw new ControllerError('NATS_UNAVAILABLE', `NATS KV ${what} on ${POLICY_BUCKET}: ${(err as Error).message}`, { cause: err });
    }
  }

  private async connectLoop(): Promise<void> {
    const wait = this.opts.reconnectWaitMs ?? 250;
    const nc = await connectWithRetry(() => connect(reconnectingNatsOptions('agentrail-controller', this.opts.servers, wait, this.opts.nats)), {
      stopped: () => this.closed,
      pause: (ms) => new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, ms).unref();
      }),
      baseMs: wait,
      maxMs: wait * 8,
      onFailure: (attempt, err) => {
        if (attempt === 0) this.log.warn('cannot reach NATS; retrying', { code: 'NATS_UNAVAILABLE', error: String(err) });
      },
      discard: (c) => c.close(),
    });
    if (nc !== undefined) this.attach(nc);
  }

  private attach(nc: NatsConnection): void {
    this.nc = nc;
    this.up = true;
    this.log.info('connected to NATS', { server: nc.getServer() });
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') {
          this.up = false;
          this.log.warn('NATS connection lost', { code: 'NATS_UNAVAILABLE', server: nc.getServer() });
        } else if (s.type === 'reconnect') {
          this.up = true;
          this.log.info('NATS connection back', { server: nc.getServer() });
          void this.ensureBucket(nc);
        }
      }
    })().catch(() => undefined);
    void nc.closed().then(() => {
      if (this.closed || this.nc !== nc) return;
      // Only an unrecoverable error (auth) ends a connection that reconnects forever: start over.
      this.up = false;
      this.kv = undefined;
      this.nc = undefined;
      this.log.error('NATS connection closed; reconnecting', { code: 'NATS_UNAVAILABLE' });
      void this.connectLoop();
    });
    void this.ensureBucket(nc);
  }

  /** Creates or binds the bucket (a restarted server may have lost it), then tells the caller to resync. */
  private async ensureBucket(nc: NatsConnection): Promise<void> {
    for (let attempt = 0; !this.closed && this.nc === nc; attempt++) {
      try {
        // JetStream's default 5 s request deadline bounds every KV operation.
        this.kv = await new Kvm(nc).create(POLICY_BUCKET, { history: this.opts.history ?? 5, description: 'AgentRail: compiled GatewayPolicies, key <namespace>.<name>' });
        this.opts.onConnected?.();
        return;
      } catch (err) {
        this.log.warn('cannot open the policy bucket; retrying', { code: 'NATS_UNAVAILABLE', error: String(err) });
        await new Promise((r) => setTimeout(r, backoffDelay(attempt, 250, 5_000)).unref());
      }
    }
  }
}
