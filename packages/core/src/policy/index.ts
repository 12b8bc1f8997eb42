export { POLICY_API_VERSION, POLICY_KIND } from './types.js';
export type {
  DefaultAction, GatewayPolicy, GatewayPolicySpec, LabelSelector, LabelSelectorRequirement, MaskingRule, MaskingTarget, PolicyDecision,
  PolicyIssue, PolicyRequest, PolicyRule, RecordingSpec, RuleAction, RuleApproval, UpstreamSpec,
} from './types.js';
export { ACTION_RANK, compilePolicy } from './compile-policy.js';
export type { CompiledMasking, CompiledPolicy, CompiledRule, CompileResult, ServiceScope } from './compile-policy.js';
export { PolicySet } from './policy-set.js';
export { formatPolicyIssue, loadPolicyFile } from './load-policy-file.js';
export type { PolicyFile, PolicyFileIssue } from './load-policy-file.js';
export { applyFieldMasks } from './apply-field-masks.js';
export type { FieldMaskResult } from './apply-field-masks.js';
export { compileCondition, celBindings } from './cel-condition.js';
export type { CelBindings, CelCondition } from './cel-condition.js';
export { parseDuration } from './duration.js';
export { LIMITS as POLICY_LIMITS } from './policy-limits.js';
export { CEL_ERROR, DUPLICATE_ERROR, SCHEMA_ERROR, YAML_ERROR } from './policy-issues.js';
export { POLICY_BUCKET, parsePolicyBundle } from './policy-bundle.js';
export type { PolicyBundle } from './policy-bundle.js';
