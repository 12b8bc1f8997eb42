import { compilePolicy, type CompiledPolicy } from '../compile-policy.js';
import type { GatewayPolicySpec, PolicyRequest } from '../types.js';

/** Compiles a policy from a spec (namespace null: a local policy without one), failing the test with the errors when it does not compile. */
export function policy(name: string, spec: GatewayPolicySpec, namespace: string | null = 'agents'): CompiledPolicy {
  const r = compilePolicy({ apiVersion: 'agentrail.dev/v1alpha1', kind: 'GatewayPolicy', metadata: { name, ...(namespace !== null ? { namespace } : {}) }, spec });
  if (!r.ok) throw new Error(`${name}: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return r.policy;
}

/** A call, with a few overridable parts: `call('s3:GetObject arn:aws:s3:::b/k', {initiator: 'bob'})`. */
export function call(
  spec: string,
  opts: { initiator?: string; chain?: string[]; region?: string; time?: string; namespace?: string; params?: Record<string, unknown>; headers?: Record<string, string> } = {},
): PolicyRequest {
  const [operation = '', ...resources] = spec.split(/\s+/);
  const initiator = opts.initiator ?? 'alice';
  return {
    identity: {
      initiator,
      chain: [{ type: 'User', name: initiator }, ...(opts.chain ?? []).map((c) => ({ type: c.split(' ')[0] as string, name: c.split(' ').slice(1).join(' ') }))],
      session: 's-1',
      ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
    },
    aws: { service: operation.split(':')[0] as string, operation, region: opts.region ?? 'eu-west-1', resources: resources.length > 0 ? resources : ['*'] },
    request: { method: 'POST', path: '/', headers: opts.headers ?? {}, params: opts.params ?? {} },
    time: new Date(opts.time ?? '2026-03-04T10:00:00Z'),
  };
}
