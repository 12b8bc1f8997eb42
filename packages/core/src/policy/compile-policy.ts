import { compileCondition, type CelCondition } from './cel-condition.js';
import { compileGlobs, type StringMatcher } from './glob-matcher.js';
import { CEL_ERROR } from './policy-issues.js';
import { compilePodSelector, type PodMatcher } from './pod-selector.js';
import type { DefaultAction, GatewayPolicy, GatewayPolicySpec, PolicyIssue, RuleAction, RuleApproval } from './types.js';
import { validatePolicy } from './validate-policy.js';

/** Precedence of rule actions, as in IAM: explicit Deny > RequireApproval > Allow. */
export const ACTION_RANK: Readonly<Record<RuleAction, number>> = { Deny: 3, RequireApproval: 2, Allow: 1 };

/** Which services an operation list can match: literal IAM prefixes (lower case), or any. */
export interface ServiceScope {
  /** Lower-case literal service prefixes; empty when `any`. */
  readonly services: readonly string[];
  /** Some pattern has a wildcard service (`*`, `*:Delete*`). */
  readonly any: boolean;
}

/** A rule, ready to evaluate. */
export interface CompiledRule {
  readonly name: string;
  readonly action: RuleAction;
  readonly rank: number;
  readonly scope: ServiceScope;
  /** Tests the lower-cased `service:Operation`. */
  readonly matchOperation: StringMatcher;
  /** Tests one ARN; undefined when the rule has no `resources` (any resource). */
  readonly matchResource: StringMatcher | undefined;
  readonly condition: CelCondition | undefined;
  readonly approval: RuleApproval | undefined;
}

/** A masking rule, ready to evaluate. */
export interface CompiledMasking {
  readonly scope: ServiceScope;
  readonly matchOperation: StringMatcher;
  readonly audit: readonly string[];
  readonly response: readonly string[];
}

/**
 * A validated, compiled GatewayPolicy. `source` is the object as validated
 * (metadata reduced to name, namespace, generation, uid, labels; no status):
 * the JSON the controller publishes and a sidecar compiles again.
 */
export interface CompiledPolicy {
  /** `namespace/name`, or `name` for a policy without namespace (local files). */
  readonly key: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly generation: number | undefined;
  readonly source: GatewayPolicy;
  readonly defaultAction: DefaultAction;
  readonly upstream: { roleArn: string; sourceIdentity: 'Initiator' | 'None' } | undefined;
  readonly recording: GatewayPolicySpec['recording'] | undefined;
  readonly rules: readonly CompiledRule[];
  readonly masking: readonly CompiledMasking[];
  /** Whether the podSelector selects a pod with these labels. */
  readonly selects: PodMatcher;
}

/** Result of compilePolicy. */
export type CompileResult = { ok: true; policy: CompiledPolicy } | { ok: false; errors: PolicyIssue[] };

/**
 * Validates one GatewayPolicy object (the CRD's schema and CEL rules,
 * re-stated in validate-policy.ts) and type-checks every `when`, then
 * compiles it for evaluation. Every problem is reported, each with the path
 * of its field.
 *
 * @example
 * const r = compilePolicy(yamlObject);
 * if (!r.ok) for (const e of r.errors) console.log(`${e.path}: ${e.message}`);
 * // spec.rules[2].when: undeclared reference to 'identiy' (variables: identity, request, aws, time) (column 6)
 */
export function compilePolicy(obj: unknown): CompileResult {
  const errors: PolicyIssue[] = [];
  const policy = validatePolicy(obj, errors);
  // Conditions are checked even when the schema failed, so one lint run shows every problem.
  const rawRules = (obj as { spec?: { rules?: unknown } } | null)?.spec?.rules;
  const conditions = new Map<number, CelCondition>();
  if (Array.isArray(rawRules)) {
    rawRules.forEach((r: unknown, i) => {
      const when = (r as { when?: unknown } | null)?.when;
      if (typeof when !== 'string') return;
      const c = compileCondition(when);
      if (typeof c === 'string') errors.push({ path: `spec.rules[${i}].when`, message: c, code: CEL_ERROR });
      else conditions.set(i, c);
    });
  }
  if (policy === undefined || errors.length > 0) return { ok: false, errors };
  return { ok: true, policy: build(policy, conditions) };
}

function build(p: GatewayPolicy, conditions: ReadonlyMap<number, CelCondition>): CompiledPolicy {
  const { name, namespace, generation, uid, labels } = p.metadata;
  const metadata: GatewayPolicy['metadata'] = { name };
  if (namespace !== undefined) metadata.namespace = namespace;
  if (generation !== undefined) metadata.generation = generation;
  if (uid !== undefined) metadata.uid = uid;
  if (labels !== undefined) metadata.labels = { ...labels };
  const source: GatewayPolicy = { apiVersion: p.apiVersion, kind: p.kind, metadata, spec: structuredClone(p.spec) };
  const spec = source.spec;
  const rules: CompiledRule[] = (spec.rules ?? []).map((r, i) => ({
    name: r.name,
    action: r.action,
    rank: ACTION_RANK[r.action],
    scope: serviceScope(r.operations),
    matchOperation: compileGlobs(r.operations, true),
    // IAM compares resource ARNs case-sensitively.
    matchResource: r.resources === undefined ? undefined : compileGlobs(r.resources),
    condition: conditions.get(i),
    approval: r.approval,
  }));
  const masking: CompiledMasking[] = (spec.masking ?? []).map((m) => ({
    scope: serviceScope(m.operations),
    matchOperation: compileGlobs(m.operations, true),
    audit: m.in.includes('Audit') ? m.fields : [],
    response: m.in.includes('Response') ? m.fields : [],
  }));
  const roleArn = spec.upstream?.roleArn;
  return {
    key: namespace === undefined ? name : `${namespace}/${name}`,
    name,
    namespace,
    generation,
    source,
    defaultAction: spec.defaultAction ?? 'Deny',
    upstream: roleArn === undefined ? undefined : { roleArn, sourceIdentity: spec.upstream?.sourceIdentity ?? 'Initiator' },
    recording: spec.recording,
    rules,
    masking,
    selects: compilePodSelector(spec.podSelector),
  };
}

function serviceScope(operations: readonly string[]): ServiceScope {
  const services = new Set<string>();
  let any = false;
  for (const op of operations) {
    const colon = op.indexOf(':');
    const service = colon === -1 ? op : op.slice(0, colon);
    if (service.includes('*') || service.includes('?')) any = true;
    else services.add(service.toLowerCase());
  }
  return { services: any ? [] : [...services], any };
}
