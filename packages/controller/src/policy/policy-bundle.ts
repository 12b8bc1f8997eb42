import { isDeepStrictEqual } from 'node:util';
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
 * What the controller publishes to NATS KV for each valid policy, as JSON: the
 * object without status and server-managed metadata, plus when it compiled.
 * Sidecars compile it again (the engine is deterministic), so the bundle stays
 * readable and versionable rather than a serialised internal form.
 */
export interface PolicyBundle {
  apiVersion: string;
  kind: string;
  metadata: { namespace: string; name: string; generation: number; uid: string };
  spec: Record<string, unknown>;
  /** RFC 3339 time of the compilation that admitted this version. */
  compiledAt: string;
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

/** Parses a KV value; undefined when it is not a bundle (a foreign or corrupt key). */
export function parseBundle(text: string): PolicyBundle | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const b = v as Partial<PolicyBundle> | null;
  const m = b?.metadata;
  if (b === null || typeof b !== 'object' || typeof b.spec !== 'object' || b.spec === null || m === undefined
    || typeof m.namespace !== 'string' || typeof m.name !== 'string' || typeof m.uid !== 'string' || typeof m.generation !== 'number') {
    return undefined;
  }
  return b as PolicyBundle;
}
