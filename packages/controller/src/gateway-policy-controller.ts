import type { Server } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { compilePolicy } from '@agentrail/core';
import type { ControllerConfig } from './config/controller-config.js';
import { ControllerError } from './errors.js';
import { KubeLeaseApi } from './kube/kube-lease-api.js';
import { KubeStatusWriter } from './kube/kube-status-writer.js';
import { LeaderElector } from './kube/leader-elector.js';
import { loadKubeConfig } from './kube/load-kube-config.js';
import { PolicyInformer } from './kube/policy-informer.js';
import { silentLog, type ControllerLog } from './logging.js';
import { NatsBundleStore } from './nats/nats-bundle-store.js';
import { ControllerMetrics } from './ops/controller-metrics.js';
import { startOpsServer } from './ops/ops-server.js';
import { parsePolicyKey, parseRefString, refString, type PolicyRef } from './policy/policy-key.js';
import { PolicyReconciler, type CompileFn } from './reconcile/policy-reconciler.js';
import { WorkQueue } from './queue/work-queue.js';

export interface GatewayPolicyControllerOptions {
  kubeConfig: KubeConfig;
  /** NATS URL(s) of the policy bucket. */
  natsServers: string | string[];
  /** Namespace and name of the leader Lease; name default `agentrail-controller`. */
  leaseNamespace: string;
  leaseName?: string;
  /** This replica's identity in the Lease (its pod name). */
  identity: string;
  /** Leader-election timing; defaults 15 s, 10 s, 2 s. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Ops server (/healthz, /readyz, /metrics); omitted: none. */
  ops?: { host: string; port: number };
  /** Concurrent reconciles (never two of the same policy); default 2. */
  workers?: number;
  /** Full resync period (every object, every KV key); default 60 s. */
  resyncIntervalMs?: number;
  logger?: ControllerLog;
  metrics?: ControllerMetrics;
  /** The policy compiler; default `compilePolicy` from @agentrail/core. */
  compile?: CompileFn;
}

/**
 * Reconciles GatewayPolicies into NATS KV (DESIGN §1, §4): every replica keeps
 * an informer cache of all GatewayPolicies and a NATS connection; the one that
 * holds the `agentrail-controller` Lease runs the work queue and its workers,
 * which compile each changed policy, publish valid ones to bucket
 * `agentrail-policies` under `<namespace>.<name>`, and write the Ready
 * condition. A periodic full resync (every cached object and every KV key)
 * makes KV converge after a NATS outage or a missed event.
 *
 * @example
 * const controller = GatewayPolicyController.fromConfig(loadControllerConfig({ env: process.env }), logger);
 * await controller.start();
 * process.once('SIGTERM', () => void controller.stop());
 */
export class GatewayPolicyController {
  readonly metrics: ControllerMetrics;
  private readonly log: ControllerLog;
  private readonly informer: PolicyInformer;
  private readonly reconciler: PolicyReconciler;
  private readonly elector: LeaderElector;
  private bundles: NatsBundleStore | undefined;
  private queue: WorkQueue | undefined;
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private ops: Server | undefined;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private stopping: Promise<void> | undefined;

  private readonly opts: GatewayPolicyControllerOptions;

  constructor(opts: GatewayPolicyControllerOptions) {
    this.opts = opts;
    this.log = opts.logger ?? silentLog;
    this.metrics = opts.metrics ?? new ControllerMetrics();
    this.informer = new PolicyInformer({
      kubeConfig: opts.kubeConfig,
      log: this.log,
      onChange: (ref) => this.enqueue(ref),
      // The first resync that can find keys of policies deleted while no controller ran.
      onSynced: () => void this.resync(),
    });
    this.reconciler = new PolicyReconciler({
      reader: this.informer,
      status: new KubeStatusWriter(opts.kubeConfig),
      bundles: { get: (k) => this.store().get(k), put: (k, b) => this.store().put(k, b), delete: (k) => this.store().delete(k), keys: () => this.store().keys() },
      compile: opts.compile ?? compilePolicy,
      log: this.log,
    });
    this.elector = new LeaderElector({
      api: new KubeLeaseApi(opts.kubeConfig),
      namespace: opts.leaseNamespace,
      identity: opts.identity,
      log: this.log,
      onStartedLeading: () => this.startWorkers(),
      onStoppedLeading: () => void this.stopWorkers(),
      ...(opts.leaseName !== undefined ? { name: opts.leaseName } : {}),
      ...(opts.leaseDurationMs !== undefined ? { leaseDurationMs: opts.leaseDurationMs } : {}),
      ...(opts.renewDeadlineMs !== undefined ? { renewDeadlineMs: opts.renewDeadlineMs } : {}),
      ...(opts.retryPeriodMs !== undefined ? { retryPeriodMs: opts.retryPeriodMs } : {}),
    });
  }

  /** A controller from resolved configuration (`loadControllerConfig`). */
  static fromConfig(config: ControllerConfig, logger?: ControllerLog): GatewayPolicyController {
    const le = config.leaderElection;
    return new GatewayPolicyController({
      kubeConfig: loadKubeConfig(config.kubeconfig),
      natsServers: config.nats.url.split(',').map((u) => u.trim()),
      leaseNamespace: le.namespace,
      leaseName: le.leaseName,
      identity: le.identity,
      leaseDurationMs: le.leaseDurationMs,
      renewDeadlineMs: le.renewDeadlineMs,
      retryPeriodMs: le.retryPeriodMs,
      ops: { host: config.listen.opsHost, port: config.listen.opsPort },
      workers: config.workers,
      resyncIntervalMs: config.resyncIntervalMs,
      metrics: new ControllerMetrics({ processMetrics: true }),
      ...(logger !== undefined ? { logger } : {}),
    });
  }

  /** Starts the ops server, NATS, the informer and the election; returns the ops URL. */
  async start(): Promise<{ opsUrl?: string }> {
    if (this.state !== 'new') throw new ControllerError('ALREADY_STARTED', 'a controller starts once', { retryable: false });
    this.state = 'running';
    let opsUrl: string | undefined;
    if (this.opts.ops !== undefined) {
      const started = await startOpsServer({ ...this.opts.ops, registry: this.metrics.registry, ready: () => this.ready() });
      this.ops = started.server;
      opsUrl = started.url;
    }
    this.bundles = NatsBundleStore.start({ servers: this.opts.natsServers, log: this.log, onConnected: () => void this.resync() });
    await this.informer.start();
    this.elector.start();
    this.log.info('controller started', { identity: this.opts.identity, lease: `${this.opts.leaseNamespace}/${this.opts.leaseName ?? 'agentrail-controller'}` });
    return opsUrl !== undefined ? { opsUrl } : {};
  }

  /** Whether this replica leads (and so reconciles). */
  isLeader(): boolean {
    return this.elector.isLeader();
  }

  /** Ready: the cache has listed every GatewayPolicy and the policy bucket is reachable. */
  ready(): { ok: boolean; reason?: string } {
    if (this.state !== 'running') return { ok: false, reason: this.state === 'new' ? 'starting' : 'stopping' };
    if (!this.informer.synced()) return { ok: false, reason: 'GatewayPolicy cache not synced' };
    if (!this.bundles?.connected()) return { ok: false, reason: 'NATS KV not reachable' };
    return { ok: true };
  }

  /**
   * Queues every cached policy, and every KV key whose policy is gone. Runs
   * every `resyncIntervalMs`, on becoming leader and on (re)connecting to NATS.
   */
  async resync(): Promise<void> {
    const queue = this.queue;
    if (queue === undefined || !this.informer.synced()) return;
    for (const obj of this.informer.list()) queue.add(refString({ namespace: obj.metadata.namespace, name: obj.metadata.name }));
    if (!this.bundles?.connected()) return;
    try {
      for (const key of await this.bundles.keys()) {
        const ref = parsePolicyKey(key);
        if (ref !== undefined && this.informer.get(ref) === undefined) queue.add(refString(ref));
      }
    } catch (err) {
      this.log.warn('resync could not list the policy bucket', { code: (err as ControllerError).code ?? 'NATS_UNAVAILABLE', error: String(err) });
    }
    this.metrics.queueDepth.set(queue.length);
  }

  /** Stops reconciling, releases the lease, closes watches and connections. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.state = 'stopped';
      // Drain our reconciles before releasing, so the next leader never overlaps with them.
      await this.stopWorkers();
      await this.elector.stop();
      await this.informer.stop();
      await this.bundles?.close();
      if (this.ops !== undefined) await new Promise((r) => this.ops?.close(r));
      this.log.info('controller stopped', { identity: this.opts.identity });
    })();
    return this.stopping;
  }

  private store(): NatsBundleStore {
    if (this.bundles === undefined) throw new ControllerError('NATS_UNAVAILABLE', 'the controller has not started');
    return this.bundles;
  }

  private enqueue(ref: PolicyRef): void {
    if (this.queue?.add(refString(ref))) this.metrics.queueDepth.set(this.queue.length);
  }

  private startWorkers(): void {
    if (this.state !== 'running' || this.queue !== undefined) return;
    this.metrics.leader.set(1);
    const queue = new WorkQueue({
      onFull: (key) => {
        this.metrics.queueFull.inc();
        this.log.warn('work queue full; the next resync retries', { code: 'QUEUE_FULL', key });
      },
    });
    this.queue = queue;
    for (let i = 0; i < (this.opts.workers ?? 2); i++) this.workers.push(this.work(queue));
    this.resyncTimer = setInterval(() => void this.resync(), this.opts.resyncIntervalMs ?? 60_000);
    this.resyncTimer.unref();
    void this.resync();
  }

  private async stopWorkers(): Promise<void> {
    const queue = this.queue;
    if (queue === undefined) return;
    this.queue = undefined;
    this.metrics.leader.set(0);
    clearInterval(this.resyncTimer);
    queue.shutDown();
    const workers = this.workers.splice(0);
    await Promise.all(workers);
  }

  private async work(queue: WorkQueue): Promise<void> {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      const ref = parseRefString(key);
      const end = this.metrics.reconcileDuration.startTimer();
      try {
        const r = await this.reconciler.reconcile(ref);
        this.metrics.reconciles.inc({ result: r.outcome });
        if (r.outcome === 'invalid' && r.statusWritten) this.metrics.compileErrors.inc();
        queue.forget(key);
      } catch (err) {
        this.metrics.reconciles.inc({ result: 'error' });
        const e = err as Partial<ControllerError>;
        if (e.retryable === false) {
          queue.forget(key);
          this.log.error('reconcile failed for good', { namespace: ref.namespace, name: ref.name, code: e.code, error: String(err) });
        } else {
          const retryInMs = queue.addRateLimited(key);
          this.log.warn('reconcile failed; retrying', { namespace: ref.namespace, name: ref.name, code: e.code ?? 'RECONCILE_FAILED', error: String(err), retryInMs });
        }
      } finally {
        end();
        queue.done(key);
        this.metrics.queueDepth.set(queue.length);
      }
    }
  }
}
