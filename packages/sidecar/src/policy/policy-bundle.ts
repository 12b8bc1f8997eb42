import { compilePolicy, type CompiledPolicy } from '@agentrail/core';

/**
 * The NATS KV bucket the controller publishes compiled GatewayPolicies to,
 * key `<namespace>.<name>`. The controller names it too
 * (packages/controller/src/policy/policy-key.ts); the e2e test checks they agree.
 */
export const POLICY_BUCKET = 'agentrail-policies';

/** What the controller publishes for each valid GatewayPolicy (JSON). */
export interface PolicyBundle {
  apiVersion: string;
  kind: string;
  metadata: { namespace: string; name: string; generation: number; uid: string };
  spec: Record<string, unknown>;
  compiledAt: string;
}

/** A bundle and its compiled form. */
export interface LoadedPolicy {
  bundle: PolicyBundle;
  policy: CompiledPolicy;
}

/**
 * Parses and compiles one bundle stored under `key` for `namespace`; a string
 * says why it cannot be used (not JSON, wrong key or namespace, does not compile).
 */
export function loadBundle(key: string, text: string, namespace: string): LoadedPolicy | string {
  let bundle: PolicyBundle;
  try {
    bundle = JSON.parse(text) as PolicyBundle;
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  const m = bundle?.metadata;
  if (typeof m?.namespace !== 'string' || typeof m.name !== 'string') return 'not a policy bundle (metadata.namespace and metadata.name missing)';
  if (m.namespace !== namespace || key !== `${m.namespace}.${m.name}`) return `bundle for ${m.namespace}/${m.name} stored under key ${key}`;
  // compiledAt is the controller's note, not part of the policy object.
  const r = compilePolicy({ apiVersion: bundle.apiVersion, kind: bundle.kind, metadata: m, spec: bundle.spec });
  if (!r.ok) return `does not compile: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`;
  return { bundle, policy: r.policy };
}
