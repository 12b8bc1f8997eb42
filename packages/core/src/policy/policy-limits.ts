/**
 * Bounds and syntax of GatewayPolicy fields. The CRD
 * (crds/agentrail.dev_gatewaypolicies.yaml) states the same numbers and
 * patterns — policy-crd.test.ts checks that they agree — so that a policy
 * the apiserver accepts compiles, and `agentrail policy lint` refuses what
 * the apiserver would.
 *
 * Bounded lists are also what keeps the CRD's CEL validation rules under the
 * apiserver's cost budget, and evaluation cost per call predictable.
 */
export const LIMITS = {
  nameLength: 253,
  namespaceLength: 63,
  ruleNameLength: 63,
  rules: 64,
  operations: 32,
  operationLength: 128,
  resources: 32,
  resourceLength: 2048,
  whenLength: 2048,
  approvers: 32,
  approverLength: 256,
  durationLength: 32,
  masking: 32,
  maskFields: 32,
  maskFieldLength: 256,
  matchLabels: 64,
  labelKeyLength: 317,
  labelValueLength: 63,
  matchExpressions: 32,
  matchValues: 64,
  roleArnLength: 2048,
  maxBodyBytes: 1_048_576,
} as const;

/** A rule name: a DNS-1123 label. */
export const RULE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** metadata.name: a DNS-1123 subdomain. */
export const OBJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** metadata.namespace: a DNS-1123 label. */
export const NAMESPACE = RULE_NAME;
/** `*`, or `service:Operation` where both sides may hold `*` and `?`. */
export const OPERATION = /^(\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+)$/;
/** `*`, or an ARN glob. */
export const RESOURCE = /^(\*|arn:\S+)$/;
/** An IAM role ARN in any partition. */
export const ROLE_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[\w+=,.@/-]{1,512}$/;
/** Go-style duration: `10m`, `1h30m`, `90s`, `1.5h`. */
export const DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
/** A field path: members joined by dots, `[*]` for a list level. */
export const FIELD_PATH = /^[A-Za-z0-9_-]+(\[\*?\])?(\.[A-Za-z0-9_-]+(\[\*?\])?)*$/;
/** A label key: optional DNS prefix and `/`, then a name. */
export const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** A label value: empty, or a name. */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
