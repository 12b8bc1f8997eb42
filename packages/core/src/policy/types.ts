/**
 * The GatewayPolicy object as the CRD defines it (crds/agentrail.dev_gatewaypolicies.yaml,
 * agentrail.dev/v1alpha1), and the request/decision shapes the engine works on.
 * Field meanings: docs/policy.md.
 */

/** API group/version of GatewayPolicy. */
export const POLICY_API_VERSION = 'agentrail.dev/v1alpha1';
/** Kind of the policy object. */
export const POLICY_KIND = 'GatewayPolicy';

/** What a rule does with the calls it matches. */
export type RuleAction = 'Allow' | 'Deny' | 'RequireApproval';
/** What happens to a call no rule matches. */
export type DefaultAction = 'Allow' | 'Deny';

/** A Kubernetes label selector requirement. */
export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** A Kubernetes label selector: both parts must match; empty selects every pod. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** Who may approve a RequireApproval call, how long the grant lasts, how long the call waits. */
export interface RuleApproval {
  approvers?: { groups?: string[]; users?: string[] };
  /** Duration (`10m`, `1h30m`) an approval stays valid for retries. */
  grantTTL?: string;
  /** Duration the request is held waiting for a decision. */
  timeout?: string;
}

/** One rule of a policy. */
export interface PolicyRule {
  /** Unique within the policy; named in decisions and the audit trail. */
  name: string;
  action: RuleAction;
  /** IAM-style `service:Operation` globs (`s3:Get*`, `*:Delete*`); case-insensitive. */
  operations: string[];
  /** ARN globs (`*`, `?`), case-sensitive; omitted = any resource. */
  resources?: string[];
  /** CEL condition over `identity`, `request`, `aws`, `time`; must be bool. */
  when?: string;
  /** Only with action RequireApproval. */
  approval?: RuleApproval;
}

/** Where a masking rule hides fields. */
export type MaskingTarget = 'Audit' | 'Response';

/** Fields to mask in bodies of the given operations. */
export interface MaskingRule {
  operations: string[];
  /** Field paths: `SecretString`, `Credentials.SecretAccessKey`, `Parameters[*].Value`. */
  fields: string[];
  in: MaskingTarget[];
}

/** What of a call's bodies the audit trail keeps. */
export interface RecordingSpec {
  requestBody?: 'Masked' | 'None';
  responseBody?: 'Masked' | 'None';
  maxBodyBytes?: number;
}

/** The upstream identity: AssumeRole into this role, with the initiator as SourceIdentity. */
export interface UpstreamSpec {
  roleArn?: string;
  sourceIdentity?: 'Initiator' | 'None';
}

/** spec of a GatewayPolicy. */
export interface GatewayPolicySpec {
  /** Pods this policy applies to; omitted or empty = every injected pod in the namespace. */
  podSelector?: LabelSelector;
  /** For calls no rule matches; Deny when omitted. */
  defaultAction?: DefaultAction;
  upstream?: UpstreamSpec;
  rules?: PolicyRule[];
  masking?: MaskingRule[];
  recording?: RecordingSpec;
}

/** A GatewayPolicy object. */
export interface GatewayPolicy {
  apiVersion: typeof POLICY_API_VERSION;
  kind: typeof POLICY_KIND;
  metadata: { name: string; namespace?: string; generation?: number; uid?: string; labels?: Record<string, string> };
  spec: GatewayPolicySpec;
}

/** One problem found in a policy: `path` names the field (`spec.rules[2].when`). */
export interface PolicyIssue {
  path: string;
  message: string;
  /** Stable code (`POLICY_SCHEMA`, `POLICY_CEL`, `POLICY_YAML`, …): see policy-issues.ts. */
  code?: string;
}

/** One AWS call as the engine sees it. */
export interface PolicyRequest {
  identity: {
    initiator: string;
    chain: readonly { type: string; name: string }[];
    session: string;
    namespace?: string;
    pod?: string;
  };
  aws: {
    service: string;
    /** `service:Operation`, as CloudTrail's eventName with the IAM prefix (`s3:GetObject`). */
    operation: string;
    region: string;
    /** ARNs; `['*']` (or empty) when not derivable. */
    resources: readonly string[];
    account?: string;
  };
  request: { method: string; path: string; headers?: Record<string, string>; params?: Record<string, unknown> };
  time: Date;
}

/** The engine's answer for one call. */
export interface PolicyDecision {
  action: RuleAction;
  /** `namespace/name` (or `name` for a policy without namespace) of the deciding policy. */
  policy?: string;
  rule?: string;
  /** `rule`: a rule matched; `default`: no rule matched; `no-policy`: no policy selects the pod. */
  reason: 'rule' | 'default' | 'no-policy';
  /** Human-readable, names policy and rule: `denied by GatewayPolicy agents/x rule y`. */
  message: string;
  approval?: PolicyRule['approval'];
  /** Masking fields for this call, merged over all selecting policies. */
  masking: { audit: string[]; response: string[] };
  upstream?: { roleArn: string; sourceIdentity: 'Initiator' | 'None'; policy: string };
  recording?: GatewayPolicySpec['recording'];
}
