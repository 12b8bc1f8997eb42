import { celBindings, type CelBindings } from './cel-condition.js';
import type { CompiledPolicy, CompiledRule, ServiceScope } from './compile-policy.js';
import type { PolicyDecision, PolicyRequest, RuleAction } from './types.js';

/** A rule with the policy it belongs to and its place in the set (policy order, then rule order). */
interface Candidate {
  readonly rule: CompiledRule;
  readonly policy: CompiledPolicy;
  readonly ordinal: number;
}

const VERB: Readonly<Record<RuleAction, string>> = { Allow: 'allowed', Deny: 'denied', RequireApproval: 'approval required' };
/** Distinct services seen by one set; AWS has a few hundred, the cap bounds odd input. */
const MAX_CACHED_SERVICES = 1024;

/**
 * The policies that apply to one pod, indexed for evaluation.
 *
 * Precedence is IAM's, over the union of every selecting policy's rules:
 * a matching Deny beats a matching RequireApproval beats a matching Allow;
 * when nothing matches, the most restrictive `defaultAction` of the set
 * applies (Deny if any policy says Deny or leaves it out). An empty set
 * allows everything (`reason: 'no-policy'`): without a policy the gateway
 * records calls but does not restrict them.
 *
 * Evaluation: candidate rules are indexed by IAM service prefix and kept in
 * precedence order (action rank, then policy key, then rule order), so the
 * first candidate that matches decides and later conditions are never run.
 * Policies are ordered by key, so the decision does not depend on the order
 * policies arrived in.
 */
export class PolicySet {
  /** Rules whose operations name literal services, by lower-case service. */
  private readonly byService = new Map<string, Candidate[]>();
  /** Rules with a wildcard service (`*:Delete*`), checked for every call. */
  private readonly anyService: Candidate[] = [];
  private readonly merged = new Map<string, readonly Candidate[]>();
  /** Masking fields by lower-case operation: they depend on nothing else. */
  private readonly maskCache = new Map<string, { audit: readonly string[]; response: readonly string[] }>();
  /** Merged recording settings; null when no policy sets any, undefined until computed. */
  private recordingCache: NonNullable<PolicyDecision['recording']> | null | undefined;

  private constructor(private readonly policies: readonly CompiledPolicy[]) {
    let ordinal = 0;
    for (const policy of policies) {
      for (const rule of policy.rules) {
        const c: Candidate = { rule, policy, ordinal: ordinal++ };
        if (rule.scope.any) this.anyService.push(c);
        for (const s of rule.scope.services) {
          const list = this.byService.get(s);
          if (list === undefined) this.byService.set(s, [c]);
          else list.push(c);
        }
      }
    }
    this.anyService.sort(byPrecedence);
    for (const list of this.byService.values()) list.sort(byPrecedence);
  }

  /** A set of these policies; a later policy with the same key replaces an earlier one. */
  static of(policies: readonly CompiledPolicy[]): PolicySet {
    const byKey = new Map<string, CompiledPolicy>();
    for (const p of policies) byKey.set(p.key, p);
    return new PolicySet([...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }

  /** Number of policies in the set. */
  get size(): number {
    return this.policies.length;
  }

  /** The policies in evaluation order. */
  list(): readonly CompiledPolicy[] {
    return this.policies;
  }

  /**
   * The policies whose podSelector selects a pod with these labels; with
   * `namespace`, only policies of that namespace (or without one, as in a
   * local policy file).
   */
  forPod(labels: Readonly<Record<string, string>>, namespace?: string): PolicySet {
    return new PolicySet(this.policies.filter((p) => (namespace === undefined || p.namespace === undefined || p.namespace === namespace) && p.selects(labels)));
  }

  /** Decides one call. Never throws: an internal failure denies, naming the cause. */
  evaluate(req: PolicyRequest): PolicyDecision {
    try {
      return this.decide(req);
    } catch (err) {
      return { action: 'Deny', reason: 'default', message: `denied: policy evaluation failed: ${err instanceof Error ? err.message : String(err)}`, masking: { audit: [], response: [] } };
    }
  }

  private decide(req: PolicyRequest): PolicyDecision {
    const masking = this.maskingFor(req.aws.operation);
    if (this.policies.length === 0) {
      return { action: 'Allow', reason: 'no-policy', message: 'allowed: no GatewayPolicy selects this pod (calls are recorded, not restricted)', masking };
    }
    const operation = req.aws.operation.toLowerCase();
    const colon = operation.indexOf(':');
    let bindings: CelBindings | undefined;
    for (const c of this.candidates(colon === -1 ? operation : operation.slice(0, colon))) {
      const rule = c.rule;
      if (!rule.matchOperation(operation)) continue;
      if (rule.matchResource !== undefined && !anyResource(rule.matchResource, req.aws.resources)) continue;
      let failure = '';
      if (rule.condition !== undefined) {
        bindings ??= celBindings(req);
        const v = rule.condition.evaluate(bindings);
        if (v === false) continue;
        if (v instanceof Error) {
          // Fail closed: a condition that cannot be evaluated never allows, but still denies or holds.
          if (rule.action === 'Allow') continue;
          failure = ` (condition could not be evaluated: ${v.message}; treated as matching)`;
        }
      }
      const d: PolicyDecision = {
        action: rule.action,
        policy: c.policy.key,
        rule: rule.name,
        reason: 'rule',
        message: `${VERB[rule.action]} by GatewayPolicy ${c.policy.key} rule ${rule.name}${failure}`,
        masking,
      };
      if (rule.approval !== undefined) d.approval = rule.approval;
      return this.finish(d, c.policy);
    }
    const strict = this.policies.find((p) => p.defaultAction === 'Deny');
    const policy = strict ?? (this.policies[0] as CompiledPolicy);
    const action = strict === undefined ? 'Allow' : 'Deny';
    return this.finish({
      action,
      policy: policy.key,
      reason: 'default',
      message: `${VERB[action]} by default of GatewayPolicy ${policy.key}: no rule matched ${req.aws.operation}`,
      masking,
    }, policy);
  }

  /** Adds the upstream role (deciding policy's, else the first that names one) and the merged recording settings. */
  private finish(d: PolicyDecision, decider: CompiledPolicy): PolicyDecision {
    if (d.action !== 'Deny') {
      const withRole = decider.upstream !== undefined ? decider : this.policies.find((p) => p.upstream !== undefined);
      if (withRole?.upstream !== undefined) d.upstream = { ...withRole.upstream, policy: withRole.key };
    }
    const recording = this.recording();
    if (recording !== undefined) d.recording = recording;
    return d;
  }

  private candidates(service: string): readonly Candidate[] {
    let list = this.merged.get(service);
    if (list === undefined) {
      const own = this.byService.get(service) ?? [];
      list = own.length === 0 ? this.anyService : this.anyService.length === 0 ? own : [...own, ...this.anyService].sort(byPrecedence);
      if (this.merged.size >= MAX_CACHED_SERVICES) this.merged.clear();
      this.merged.set(service, list);
    }
    return list;
  }

  private maskingFor(operation: string): { audit: string[]; response: string[] } {
    const op = operation.toLowerCase();
    let fields = this.maskCache.get(op);
    if (fields === undefined) {
      const audit = new Set<string>();
      const response = new Set<string>();
      const colon = op.indexOf(':');
      const service = colon === -1 ? op : op.slice(0, colon);
      for (const p of this.policies) {
        for (const m of p.masking) {
          if (!inScope(m.scope, service) || !m.matchOperation(op)) continue;
          for (const f of m.audit) audit.add(f);
          for (const f of m.response) response.add(f);
        }
      }
      fields = { audit: [...audit], response: [...response] };
      if (this.maskCache.size >= MAX_CACHED_SERVICES * 4) this.maskCache.clear();
      this.maskCache.set(op, fields);
    }
    // Copies: a caller may extend its decision's lists.
    return { audit: [...fields.audit], response: [...fields.response] };
  }

  /** The most restrictive recording settings over the set: None beats Masked, the smallest maxBodyBytes wins. */
  private recording(): PolicyDecision['recording'] {
    if (this.recordingCache !== undefined) return this.recordingCache === null ? undefined : { ...this.recordingCache };
    let merged: NonNullable<PolicyDecision['recording']> | undefined;
    for (const p of this.policies) {
      const r = p.recording;
      if (r === undefined) continue;
      merged ??= {};
      if (r.requestBody !== undefined && merged.requestBody !== 'None') merged.requestBody = r.requestBody;
      if (r.responseBody !== undefined && merged.responseBody !== 'None') merged.responseBody = r.responseBody;
      if (r.maxBodyBytes !== undefined) merged.maxBodyBytes = Math.min(merged.maxBodyBytes ?? Infinity, r.maxBodyBytes);
    }
    this.recordingCache = merged ?? null;
    return merged === undefined ? undefined : { ...merged };
  }
}

function byPrecedence(a: Candidate, b: Candidate): number {
  return b.rule.rank - a.rule.rank || a.ordinal - b.ordinal;
}

function inScope(scope: ServiceScope, service: string): boolean {
  return scope.any || scope.services.includes(service);
}

/**
 * Whether any of the call's resources matches. An unknown resource (`*`, or
 * none derived) only meets a rule whose resources include `*`: a rule about
 * specific ARNs cannot know it applies.
 */
function anyResource(match: (arn: string) => boolean, resources: readonly string[]): boolean {
  if (resources.length === 0) return match('*');
  for (const r of resources) if (match(r)) return true;
  return false;
}
