import { CustomObjectsApi, makeInformer, type Informer, type KubeConfig, type KubernetesListObject, type ObjectCache } from '@kubernetes/client-node';
import { silentLog, type ControllerLog } from '../logging.js';
import type { PolicyObject } from '../policy/policy-bundle.js';
import { POLICY_GROUP, POLICY_PLURAL, POLICY_VERSION, type PolicyRef } from '../policy/policy-key.js';
import type { PolicyReader } from '../reconcile/policy-reconciler.js';
import { backoffDelay } from '@agentrail/core';

export interface PolicyInformerOptions {
  kubeConfig: KubeConfig;
  /** Called for every add, update and delete (and every object of a re-list). */
  onChange(ref: PolicyRef): void;
  /** Called once, when the first list has filled the cache. */
  onSynced?(): void;
  log?: ControllerLog;
  /** Restart backoff after a failed list or watch: base and cap; defaults 500 ms and 30 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/**
 * A list-watch cache of every GatewayPolicy in the cluster.
 *
 * What client-node's informer (ListWatch, src/cache.ts in v2) does itself: on
 * a 410 Gone — as a watch ERROR event or as the watch's HTTP status — it
 * re-lists and fires delete/add/update for the difference; on its own 30 s
 * inactivity timeout and on a server-side close it watches again from the last
 * resourceVersion. What it does not: after any other failure (list or watch
 * refused, apiserver unreachable, 403, 5xx) it fires `error` and stops for
 * good. This class restarts it then, with jittered exponential backoff, reset
 * by the next successful list or event. It also tracks whether the first list
 * has completed, which the reconciler needs before treating absence as deletion.
 */
export class PolicyInformer implements PolicyReader {
  private readonly informer: Informer<PolicyObject & { metadata: { name: string } }> & ObjectCache<PolicyObject>;
  private readonly log: ControllerLog;
  private hasSynced = false;
  private stopped = true;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  private readonly opts: PolicyInformerOptions;

  constructor(opts: PolicyInformerOptions) {
    this.opts = opts;
    this.log = opts.log ?? silentLog;
    const api = opts.kubeConfig.makeApiClient(CustomObjectsApi);
    const list = async (): Promise<KubernetesListObject<PolicyObject & { metadata: { name: string } }>> => {
      const result = (await api.listClusterCustomObject({ group: POLICY_GROUP, version: POLICY_VERSION, plural: POLICY_PLURAL })) as KubernetesListObject<PolicyObject & { metadata: { name: string } }>;
      this.failures = 0;
      // ListWatch fills its cache right after this promise resolves: mark synced after that.
      setImmediate(() => {
        if (this.hasSynced) return;
        this.hasSynced = true;
        opts.onSynced?.();
      });
      return result;
    };
    this.informer = makeInformer(opts.kubeConfig, `/apis/${POLICY_GROUP}/${POLICY_VERSION}/${POLICY_PLURAL}`, list);
    const changed = (obj: PolicyObject) => {
      this.failures = 0;
      opts.onChange({ namespace: obj.metadata.namespace, name: obj.metadata.name });
    };
    this.informer.on('add', changed);
    this.informer.on('update', changed);
    this.informer.on('delete', changed);
    this.informer.on('error', (err: unknown) => this.restartLater(err));
    this.informer.on('connect', () => this.log.debug('GatewayPolicy list/watch (re)connecting'));
  }

  /** Starts listing and watching; resolves after the first attempt, whatever its outcome (failures are retried). */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.informer.start();
  }

  /** Stops watching. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.informer.stop();
  }

  synced(): boolean {
    return this.hasSynced;
  }

  get(ref: PolicyRef): PolicyObject | undefined {
    return this.informer.get(ref.name, ref.namespace);
  }

  list(): readonly PolicyObject[] {
    return this.informer.list();
  }

  private restartLater(err: unknown): void {
    // stop() aborts the watch, which ListWatch reports as an error too.
    if (this.stopped || this.restartTimer !== undefined) return;
    const ms = backoffDelay(this.failures++, this.opts.retryBaseMs ?? 500, this.opts.retryMaxMs ?? 30_000);
    const e = err as { code?: number; statusCode?: number; message?: string } | undefined;
    this.log.warn('GatewayPolicy list/watch failed; restarting', { code: 'WATCH_FAILED', status: e?.statusCode ?? e?.code, error: e?.message ?? String(err), retryInMs: ms });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) void this.informer.start();
    }, ms);
  }
}
