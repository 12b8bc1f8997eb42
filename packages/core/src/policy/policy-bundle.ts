/**
 * The contract between the controller and the sidecars: the NATS KV bucket
 * the controller publishes valid GatewayPolicies to, key `<namespace>.<name>`,
 * and what each value holds.
 */
export const POLICY_BUCKET = 'agentrail-policies';

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

/** Parses a KV value; undefined when it is not a bundle (a foreign or corrupt key). */
export function parsePolicyBundle(text: string): PolicyBundle | undefined {
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
