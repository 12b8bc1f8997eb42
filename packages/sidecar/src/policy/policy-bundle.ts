import { compilePolicy, parsePolicyBundle, type CompiledPolicy, type PolicyBundle } from '@agentrail/core';

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
  const bundle = parsePolicyBundle(text);
  if (bundle === undefined) return 'not a policy bundle (JSON with spec and metadata namespace, name, uid, generation)';
  const m = bundle.metadata;
  if (m.namespace !== namespace || key !== `${m.namespace}.${m.name}`) return `bundle for ${m.namespace}/${m.name} stored under key ${key}`;
  // compiledAt is the controller's note, not part of the policy object.
  const r = compilePolicy({ apiVersion: bundle.apiVersion, kind: bundle.kind, metadata: m, spec: bundle.spec });
  if (!r.ok) return `does not compile: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`;
  return { bundle, policy: r.policy };
}
