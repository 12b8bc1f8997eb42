import { ControllerError } from '../errors.js';

/** The NATS KV bucket the controller publishes to and sidecars watch (the contract lives in core). */
export { POLICY_BUCKET } from '@agentrail/core';

/** API coordinates of GatewayPolicy. */
export const POLICY_GROUP = 'agentrail.dev';
export const POLICY_VERSION = 'v1alpha1';
export const POLICY_PLURAL = 'gatewaypolicies';

/** A namespaced object's identity: the work-queue item and the argument of `reconcile`. */
export interface PolicyRef {
  namespace: string;
  name: string;
}

// Namespaces are DNS-1123 labels; names are DNS-1123 subdomains (dots allowed,
// never leading, trailing or doubled). Both fit NATS KV's key alphabet
// [-/_=.a-zA-Z0-9], so `<namespace>.<name>` needs no encoding and the sidecar
// can watch `<namespace>.>`.
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The KV key of a policy: `<namespace>.<name>`.
 *
 * @example
 * policyKey({ namespace: 'agents', name: 'research' }) // 'agents.research'
 */
export function policyKey(ref: PolicyRef): string {
  if (!NAMESPACE.test(ref.namespace) || !NAME.test(ref.name) || ref.name.length > 253) {
    throw new ControllerError('INVALID_KEY', `"${ref.namespace}/${ref.name}" is not a Kubernetes namespace/name`, { retryable: false });
  }
  return `${ref.namespace}.${ref.name}`;
}

/** The policy a KV key stands for; undefined for keys the controller did not write. */
export function parsePolicyKey(key: string): PolicyRef | undefined {
  const dot = key.indexOf('.');
  if (dot <= 0) return undefined;
  const ref = { namespace: key.slice(0, dot), name: key.slice(dot + 1) };
  return NAMESPACE.test(ref.namespace) && NAME.test(ref.name) ? ref : undefined;
}

/** `namespace/name`, the work-queue key and the form logs use. */
export function refString(ref: PolicyRef): string {
  return `${ref.namespace}/${ref.name}`;
}

/** The inverse of {@link refString}. */
export function parseRefString(s: string): PolicyRef {
  const slash = s.indexOf('/');
  return { namespace: s.slice(0, slash), name: s.slice(slash + 1) };
}
