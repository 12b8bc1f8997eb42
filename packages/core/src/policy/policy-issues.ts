import type { PolicyIssue } from './types.js';

/**
 * Stable codes of policy problems: they never change meaning, so the
 * controller can put them in a condition's reason and tools can switch on them.
 */
/** A field the CRD schema (or its CEL rules) would refuse. */
export const SCHEMA_ERROR = 'POLICY_SCHEMA';
/** A `when` condition that does not parse or type-check. */
export const CEL_ERROR = 'POLICY_CEL';
/** A policy file that is not YAML, or a document that is not an object. */
export const YAML_ERROR = 'POLICY_YAML';
/** Two policies of one file with the same namespace/name. */
export const DUPLICATE_ERROR = 'POLICY_DUPLICATE';

/** Problems collected while validating; paths are relative to the object. */
export type IssueList = PolicyIssue[];
