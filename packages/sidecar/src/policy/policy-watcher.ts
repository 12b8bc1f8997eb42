import { Kvm, KvWatchInclude, type KvWatchEntry } from '@nats-io/kv';
import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { POLICY_BUCKET, PolicySet, backoffDelay, connectWithRetry, reconnectingNatsOptions, type PolicyBundle } from '@agentrail/core';
import { loadBundle, type LoadedPolicy } from './policy-bundle.js';
import { PolicyCacheFile } from './policy-cache-file.js';

/** Logging the watcher needs (a winston logger fits). */
export interface PolicyWatcherLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface PolicyWatcherOptions {
  /** NATS URL(s). */
  servers: string | string[];
  /** The pod's namespace: the watcher follows keys `<namespace>.>`. */
  namespace: string;
  /** The pod's labels, for each policy's podSelector. */
  podLabels: Readonly<Record<string, string>>;
  /**
   * Receives the policies that apply to this pod after every change (and the
   * cached ones at start): swap it in atomically. Never called concurrently.
   */
  onChange(set: PolicySet): void;
  logger?: PolicyWatcherLogger;
  /** Where the last known bundles are kept across restarts; omitted: no cache. */
  cacheFile?: string;
  /** Changes arriving within this window are applied together; default 20 ms. */
  debounceMs?: number;
  /** Pause between reconnect attempts; default 250 ms (the first connection backs off to 8×). */
  reconnectWaitMs?: number;
  /** Further connection options (credentials, TLS); the reconnect policy above wins. */
  nats?: Omit<NodeConnectionOptions, 'servers'>;
}

const quiet: PolicyWatcherLogger = { info() {}, warn() {}, error() {} };

/**
 * Keeps a sidecar's GatewayPolicies in step with the controller's NATS KV
 * bucket: watches `<namespace>.>` (last value of every key, then updates),
 * compiles each bundle, and hands the caller the set for this pod.
 *
 * - Each (re)connection re-reads every key and swaps the new set in whole once
 *   the initial values are all in, so deletes missed while away are applied
 *   too; until then the previous set stays in force.
 * - A bundle that does not compile is logged and ignored, keeping that
 *   policy's previous version — the controller publishes only valid policies,
 *   so this means version skew, and dropping a Deny would widen access.
 * - With `cacheFile`, the set is saved after every change and loaded at start,
 *   so a sidecar that starts while NATS is down enforces its last known
 *   policies. {@link ready} says whether any set is known; when it is not, the
 *   caller decides (the sidecar applies `policy.unavailableAction`).
 *
 * @example
 * let policies = PolicySet.of([]);
 * const watcher = await PolicyWatcher.start({ servers: 'nats://nats:4222', namespace: 'agents', podLabels, cacheFile, onChange: (s) => { policies = s; } });
 * if (!watcher.ready()) { … fail closed … }
 */
export class PolicyWatcher {
  private readonly log: PolicyWatcherLogger;
  private readonly cache: PolicyCacheFile | undefined;
  private current = new Map<string, LoadedPolicy>();
  private synced = false;
  private cacheLoaded = false;
  private stopped = false;
  private nc: NatsConnection | undefined;
  private stopWatch: (() => void) | undefined;
  private epoch = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private lastSignature: string | undefined;
  private wake: (() => void) | undefined;

  private readonly opts: PolicyWatcherOptions;

  private constructor(opts: PolicyWatcherOptions) {
    this.opts = opts;
    this.log = opts.logger ?? quiet;
    this.cache = opts.cacheFile !== undefined ? new PolicyCacheFile(opts.cacheFile, opts.namespace) : undefined;
  }

  /**
   * Loads the cache (calling `onChange` with it, if there is one) and starts
   * connecting in the background. Resolves without waiting for NATS.
   */
  static async start(opts: PolicyWatcherOptions): Promise<PolicyWatcher> {
    const w = new PolicyWatcher(opts);
    await w.loadCache();
    void w.connectLoop();
    return w;
  }

  /** Whether a policy set is known: the first sync with NATS is done, or the cache was loaded. */
  ready(): boolean {
    return this.synced || this.cacheLoaded;
  }

  /** Whether the watcher has the bucket's current content (as opposed to the cache only). */
  live(): boolean {
    return this.synced;
  }

  /** Keys (`<namespace>.<name>`) of the policies in force, sorted. */
  keys(): string[] {
    return [...this.current.keys()].sort();
  }

  /** Stops watching and closes the connection; the cache keeps its last content. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.epoch++;
    clearTimeout(this.flushTimer);
    this.stopWatch?.();
    this.wake?.();
    await this.nc?.close().catch(() => undefined);
  }

  private async loadCache(): Promise<void> {
    if (this.cache === undefined) return;
    let bundles: Record<string, PolicyBundle> | undefined;
    try {
      bundles = await this.cache.load();
    } catch (err) {
      this.log.warn('ignoring unreadable policy cache', { code: 'POLICY_CACHE_CORRUPT', file: this.cache.path, error: String(err) });
      return;
    }
    if (bundles === undefined) return;
    for (const [key, bundle] of Object.entries(bundles)) this.apply(this.current, key, JSON.stringify(bundle), 'cache');
    this.cacheLoaded = true;
    this.log.info('loaded cached policies', { file: this.cache.path, policies: this.current.size });
    this.flush(false);
  }

  private async connectLoop(): Promise<void> {
    const wait = this.opts.reconnectWaitMs ?? 250;
    const nc = await connectWithRetry(() => connect(reconnectingNatsOptions('agentrail-sidecar-policy', this.opts.servers, wait, this.opts.nats)), {
      stopped: () => this.stopped,
      pause: (ms) => this.pause(ms),
      baseMs: wait,
      maxMs: wait * 8,
      onFailure: (attempt, err) => {
        if (attempt === 0) this.log.warn('cannot reach NATS for policies; retrying', { code: 'POLICY_SOURCE_UNAVAILABLE', cached: this.cacheLoaded, error: String(err) });
      },
      discard: (c) => c.close(),
    });
    if (nc !== undefined) this.attach(nc);
  }

  private attach(nc: NatsConnection): void {
    this.nc = nc;
    void (async () => {
      for await (const s of nc.status()) {
        // Re-read everything after a reconnect: the server may have restarted and lost our consumer.
        if (s.type === 'reconnect') void this.watchLoop(nc);
      }
    })().catch(() => undefined);
    void nc.closed().then(() => {
      if (this.stopped || this.nc !== nc) return;
      this.nc = undefined;
      this.log.error('NATS connection for policies closed; reconnecting', { code: 'POLICY_SOURCE_UNAVAILABLE' });
      void this.connectLoop();
    });
    void this.watchLoop(nc);
  }

  /** Watches until a newer watch replaces this one; retries when the bucket is missing or the watch ends. */
  private async watchLoop(nc: NatsConnection): Promise<void> {
    const epoch = ++this.epoch;
    this.stopWatch?.();
    for (let attempt = 0; !this.stopped && this.epoch === epoch; attempt++) {
      try {
        await this.watchOnce(nc, epoch);
      } catch (err) {
        if (this.stopped || this.epoch !== epoch) return;
        if (attempt === 0) this.log.warn('cannot watch the policy bucket; retrying', { code: 'POLICY_SOURCE_UNAVAILABLE', bucket: POLICY_BUCKET, error: String(err) });
      }
      if (this.stopped || this.epoch !== epoch) return;
      await this.pause(backoffDelay(attempt, 250, 5_000));
    }
  }

  private async watchOnce(nc: NatsConnection, epoch: number): Promise<void> {
    const kv = await new Kvm(nc).open(POLICY_BUCKET);
    const iter = await kv.watch({ key: `${this.opts.namespace}.>`, include: KvWatchInclude.LastValue });
    if (this.epoch !== epoch) {
      iter.stop();
      return;
    }
    this.stopWatch = () => iter.stop();
    const snapshot = new Map<string, LoadedPolicy>();
    let initial = true;
    const finishInitial = () => {
      initial = false;
      this.current = snapshot;
      this.synced = true;
      this.flush(true);
    };
    if ((await initialCount(iter)) === 0) finishInitial();
    for await (const e of iter) {
      if (this.epoch !== epoch) break;
      this.applyEntry(initial ? snapshot : this.current, e);
      // kv.watch marks the last of the initial values (and everything after) isUpdate.
      if (initial && e.isUpdate) finishInitial();
      else if (!initial) this.scheduleFlush();
    }
  }

  private applyEntry(target: Map<string, LoadedPolicy>, e: KvWatchEntry): void {
    if (e.operation !== 'PUT') {
      target.delete(e.key);
      return;
    }
    this.apply(target, e.key, e.string(), `revision ${e.revision}`);
  }

  private apply(target: Map<string, LoadedPolicy>, key: string, text: string, from: string): void {
    const loaded = loadBundle(key, text, this.opts.namespace);
    if (typeof loaded !== 'string') {
      target.set(key, loaded);
      return;
    }
    const previous = this.current.get(key);
    if (previous !== undefined) target.set(key, previous);
    this.log.warn('ignoring a policy bundle', { code: 'POLICY_BUNDLE_INVALID', key, from, reason: loaded, keptGeneration: previous?.bundle.metadata.generation });
  }

  private scheduleFlush(): void {
    // A fixed window from the first change, not reset by later ones: latency stays bounded.
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flush(true);
    }, this.opts.debounceMs ?? 20);
  }

  /** Hands the caller the set for this pod (if it changed) and saves it to the cache. */
  private flush(save: boolean): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.stopped) return;
    const loaded = [...this.current.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const signature = JSON.stringify(loaded.map(([k, l]) => [k, l.bundle.metadata.uid, l.bundle.metadata.generation, l.bundle.compiledAt]));
    if (signature === this.lastSignature) return;
    this.lastSignature = signature;
    try {
      this.opts.onChange(PolicySet.of(loaded.map(([, l]) => l.policy)).forPod(this.opts.podLabels, this.opts.namespace));
    } catch (err) {
      this.log.error('policy onChange callback failed', { code: 'POLICY_CALLBACK_FAILED', error: String(err) });
    }
    if (save && this.cache !== undefined) {
      const bundles = Object.fromEntries(loaded.map(([k, l]) => [k, l.bundle]));
      this.cache.save(bundles).catch((err: unknown) => this.log.warn('could not save the policy cache', { code: 'POLICY_CACHE_WRITE', file: this.cache?.path, error: String(err) }));
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref();
      this.wake = () => { clearTimeout(t); resolve(); };
    });
  }
}

/**
 * How many initial values the watch will deliver. kv.watch reads this from its
 * consumer's info (num_pending) but does not expose it; with zero there is no
 * entry to mark the end of the initial values, so read the same cached info.
 * Undefined if the library's internals change: the first update then ends the sync.
 */
async function initialCount(iter: unknown): Promise<number | undefined> {
  const consumer = (iter as { _data?: { info?: (cached?: boolean) => Promise<{ num_pending?: number }> } })._data;
  if (typeof consumer?.info !== 'function') return undefined;
  try {
    return (await consumer.info(true)).num_pending;
  } catch {
    return undefined;
  }
}
