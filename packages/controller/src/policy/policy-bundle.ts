import { isDeepStrictEqual } from 'node:util';
import type { PolicyBundle } from '@agentrail/core';
import type { PolicyStatus } from '../reconcile/policy-status.js';

/**
 * A GatewayPolicy as the apiserver serves it, as far as the controller reads it.
 * The spec is the policy engine's business (`compilePolicy`); the controller
 * only counts rules and names them in messages.
 */
export interface PolicyObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid?: string; generation?: number; resourceVersion?: string };
  spec?: { rules?: readonly { name?: string }[] } & Record<string, unknown>;
  status?: PolicyStatus & Record<string, unknown>;
}

/**
 * The input of `compilePolicy`: the same fields the bundle carries, so the
 * controller and every sidecar compile exactly the same thing.
 */
export function policyInput(obj: PolicyObject): Omit<PolicyBundle, 'compiledAt'> {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: {
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      generation: obj.metadata.generation ?? 0,
      uid: obj.metadata.uid ?? '',
    },
    spec: (obj.spec ?? {}) as Record<string, unknown>,
  };
}

/** The bundle for a policy that compiled at `now`. */
export function buildBundle(obj: PolicyObject, now: Date): PolicyBundle {
  return { ...policyInput(obj), compiledAt: now.toISOString() };
}

/**
 * Whether `published` already carries this version of `obj` (same object,
 * generation and spec), so the controller need not write it again. A resync
 * then costs one KV read per policy, and sidecars see no churn.
 */
export function bundleIsCurrent(published: PolicyBundle | undefined, obj: PolicyObject): boolean {
  if (published === undefined) return false;
  const want = policyInput(obj);
  return published.metadata.uid === want.metadata.uid
    && published.metadata.generation === want.metadata.generation
    && isDeepStrictEqual(published.spec, want.spec);
}

/**
 * Whether `published` is a newer version of the same object than `obj` — the
 * informer cache lags behind a write another reconcile already published.
 * Never overwrite newer with older: the next watch event brings the newer object.
 */
export function bundleIsNewer(published: PolicyBundle | undefined, obj: PolicyObject): boolean {
  return published !== undefined
    && published.metadata.uid === obj.metadata.uid
    && published.metadata.generation > (obj.metadata.generation ?? 0);
}
