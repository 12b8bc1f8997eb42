import { ControllerError } from '../errors.js';
import { silentLog, type ControllerLog } from '../logging.js';
import type { PolicyBundle } from '@agentrail/core';
import { bundleIsCurrent, bundleIsNewer, buildBundle, policyInput, type PolicyObject } from '../policy/policy-bundle.js';
import { POLICY_BUCKET, policyKey, refString, type PolicyRef } from '../policy/policy-key.js';
import { desiredStatus, REASON_COMPILED, REASON_INVALID, statusChanged, type PolicyStatus } from './policy-status.js';
import { compiledMessage, invalidMessage, type CompileIssue } from './ready-message.js';

/** Reads GatewayPolicies (the informer cache). */
export interface PolicyReader {
  /** Whether the first list has completed: before that, absent does not mean deleted. */
  synced(): boolean;
  get(ref: PolicyRef): PolicyObject | undefined;
}

/** Writes a GatewayPolicy's status subresource. */
export interface StatusWriter {
  /** Writes `status` if `obj` (its resourceVersion) is still current; 'gone' when the object no longer exists. */
  writeStatus(obj: PolicyObject, status: PolicyStatus): Promise<'written' | 'gone'>;
}

/** The policy bucket in NATS KV. */
export interface BundleStore {
  /** The live bundle under `key`; undefined when absent, deleted, or not a bundle. */
  get(key: string): Promise<PolicyBundle | undefined>;
  put(key: string, bundle: PolicyBundle): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys with a live value. */
  keys(): Promise<string[]>;
}

/** `compilePolicy` from @agentrail/core, as far as the controller uses it. */
export type CompileFn = (obj: unknown) => { ok: true } | { ok: false; errors: readonly CompileIssue[] };

/**
 * What one reconcile did: `published` (KV written), `unchanged` (KV already
 * current, or nothing to do), `invalid` (did not compile; not published),
 * `deleted` (the object is gone and so is its key).
 */
export type ReconcileOutcome = 'published' | 'unchanged' | 'invalid' | 'deleted';

export interface ReconcileResult {
  outcome: ReconcileOutcome;
  /** Whether the status subresource was written (it is only when it changed). */
  statusWritten: boolean;
}

export interface PolicyReconcilerOptions {
  reader: PolicyReader;
  status: StatusWriter;
  bundles: BundleStore;
  compile: CompileFn;
  now?: () => Date;
  log?: ControllerLog;
}

/**
 * Level-triggered reconcile of one GatewayPolicy: reads the object as it is
 * now (or its absence), compiles it, makes the KV bucket agree, and writes
 * status only when it changed. Idempotent: running it twice, or on a stale
 * event, converges to the same state. A thrown error means "retry with backoff"
 * (`ControllerError.retryable`); nothing here loops or sleeps.
 *
 * Invalid policies are not published, and a previously published valid version
 * of the same object stays in KV: deleting it would silently drop that
 * version's Deny rules from every sidecar because someone mistyped an edit.
 * The Ready=False message says which generation stays in force.
 */
export class PolicyReconciler {
  private readonly now: () => Date;
  private readonly log: ControllerLog;

  private readonly opts: PolicyReconcilerOptions;

  constructor(opts: PolicyReconcilerOptions) {
    this.opts = opts;
    this.now = opts.now ?? (() => new Date());
    this.log = opts.log ?? silentLog;
  }

  async reconcile(ref: PolicyRef): Promise<ReconcileResult> {
    const key = policyKey(ref);
    const obj = this.opts.reader.get(ref);
    if (obj === undefined) return { outcome: await this.removeBundle(ref, key), statusWritten: false };

    const fields = { namespace: ref.namespace, name: ref.name, generation: obj.metadata.generation };
    const generation = obj.metadata.generation ?? 0;
    const rules = obj.spec?.rules?.length ?? 0;
    const compiled = this.opts.compile(policyInput(obj));
    const published = await this.opts.bundles.get(key);
    let outcome: ReconcileOutcome;
    let ready: { status: 'True' | 'False'; reason: string; message: string };

    if (compiled.ok) {
      outcome = 'unchanged';
      if (bundleIsNewer(published, obj)) {
        // The cache lags; the status write below fails its resourceVersion check and retries.
        this.log.debug('a newer generation is already published', { ...fields, published: published?.metadata.generation });
      } else if (!bundleIsCurrent(published, obj)) {
        await this.opts.bundles.put(key, buildBundle(obj, this.now()));
        outcome = 'published';
        this.log.info('published policy', { ...fields, key, rules });
      }
      ready = { status: 'True', reason: REASON_COMPILED, message: compiledMessage(rules, POLICY_BUCKET, key) };
    } else {
      outcome = 'invalid';
      let enforced: number | undefined;
      if (published !== undefined && published.metadata.uid !== obj.metadata.uid) {
        // Left by an object of the same name that was deleted while we did not watch.
        await this.opts.bundles.delete(key);
        this.log.info('removed the bundle of a deleted namesake', { ...fields, key, uid: published.metadata.uid });
      } else if (published !== undefined) {
        enforced = published.metadata.generation;
      }
      ready = { status: 'False', reason: REASON_INVALID, message: invalidMessage(compiled.errors, obj, enforced) };
    }

    const next = desiredStatus(obj.status, ready, generation, rules, this.now());
    let statusWritten = false;
    if (statusChanged(obj.status, next)) {
      statusWritten = (await this.opts.status.writeStatus(obj, next)) === 'written';
      if (statusWritten && outcome === 'invalid') {
        this.log.warn('policy does not compile', { ...fields, code: 'POLICY_INVALID', errors: compiled.ok ? [] : compiled.errors });
      }
    }
    return { outcome, statusWritten };
  }

  private async removeBundle(ref: PolicyRef, key: string): Promise<ReconcileOutcome> {
    if (!this.opts.reader.synced()) {
      throw new ControllerError('CACHE_NOT_SYNCED', `cannot tell whether ${refString(ref)} was deleted before the first list completes`);
    }
    if ((await this.opts.bundles.get(key)) === undefined) return 'unchanged';
    await this.opts.bundles.delete(key);
    this.log.info('policy deleted; removed its bundle', { namespace: ref.namespace, name: ref.name, key });
    return 'deleted';
  }
}
