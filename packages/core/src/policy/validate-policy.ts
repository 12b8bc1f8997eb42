import { parseDuration } from './duration.js';
import {
  DURATION, FIELD_PATH, LABEL_KEY, LABEL_VALUE, LIMITS, NAMESPACE, OBJECT_NAME, OPERATION, RESOURCE, ROLE_ARN, RULE_NAME,
} from './policy-limits.js';
import { SCHEMA_ERROR, type IssueList } from './policy-issues.js';
import { POLICY_API_VERSION, POLICY_KIND, type GatewayPolicy } from './types.js';

type Obj = Record<string, unknown>;

/**
 * The checks the CRD's OpenAPI schema and CEL rules make, done here too so a
 * policy file can be linted without a cluster and a local `agentrail run
 * --policy` refuses what the apiserver would. Unknown fields are errors (the
 * apiserver drops them, usually with only a warning: a misspelt `resource:`
 * would silently widen a rule). Returns the object typed when no problem was
 * found.
 */
export function validatePolicy(obj: unknown, issues: IssueList): GatewayPolicy | undefined {
  const before = issues.length;
  const root = object(obj, '', issues);
  if (root === undefined) return undefined;
  known(root, '', ['apiVersion', 'kind', 'metadata', 'spec', 'status'], issues);
  if (root['apiVersion'] !== POLICY_API_VERSION) issues.push({ path: 'apiVersion', message: `must be ${POLICY_API_VERSION}`, code: SCHEMA_ERROR });
  if (root['kind'] !== POLICY_KIND) issues.push({ path: 'kind', message: `must be ${POLICY_KIND}`, code: SCHEMA_ERROR });
  metadata(root['metadata'], issues);
  spec(root['spec'], issues);
  return issues.length === before ? (root as unknown as GatewayPolicy) : undefined;
}

function metadata(value: unknown, issues: IssueList): void {
  const m = object(value, 'metadata', issues);
  if (m === undefined) return;
  string(m['name'], 'metadata.name', issues, { max: LIMITS.nameLength, pattern: OBJECT_NAME, required: true });
  string(m['namespace'], 'metadata.namespace', issues, { max: LIMITS.namespaceLength, pattern: NAMESPACE });
  if (m['generation'] !== undefined && !Number.isInteger(m['generation'])) issues.push({ path: 'metadata.generation', message: 'must be an integer', code: SCHEMA_ERROR });
  if (m['labels'] !== undefined) labels(m['labels'], 'metadata.labels', issues);
}

function spec(value: unknown, issues: IssueList): void {
  const s = object(value, 'spec', issues);
  if (s === undefined) return;
  known(s, 'spec', ['podSelector', 'defaultAction', 'upstream', 'rules', 'masking', 'recording'], issues);
  if (s['podSelector'] !== undefined) podSelector(s['podSelector'], issues);
  oneOf(s['defaultAction'], 'spec.defaultAction', ['Allow', 'Deny'], issues);
  const up = optionalObject(s['upstream'], 'spec.upstream', issues);
  if (up !== undefined) {
    known(up, 'spec.upstream', ['roleArn', 'sourceIdentity'], issues);
    string(up['roleArn'], 'spec.upstream.roleArn', issues, { max: LIMITS.roleArnLength, pattern: ROLE_ARN, what: 'an IAM role ARN (arn:aws:iam::123456789012:role/NAME)' });
    oneOf(up['sourceIdentity'], 'spec.upstream.sourceIdentity', ['Initiator', 'None'], issues);
  }
  const rules = list(s['rules'], 'spec.rules', LIMITS.rules, issues);
  const names = new Map<string, number>();
  rules?.forEach((r, i) => {
    const name = rule(r, `spec.rules[${i}]`, issues);
    if (name === undefined) return;
    const first = names.get(name);
    if (first !== undefined) issues.push({ path: `spec.rules[${i}].name`, message: `duplicate rule name '${name}' (also spec.rules[${first}])`, code: SCHEMA_ERROR });
    else names.set(name, i);
  });
  list(s['masking'], 'spec.masking', LIMITS.masking, issues)?.forEach((m, i) => masking(m, `spec.masking[${i}]`, issues));
  const rec = optionalObject(s['recording'], 'spec.recording', issues);
  if (rec !== undefined) {
    known(rec, 'spec.recording', ['requestBody', 'responseBody', 'maxBodyBytes'], issues);
    oneOf(rec['requestBody'], 'spec.recording.requestBody', ['Masked', 'None'], issues);
    oneOf(rec['responseBody'], 'spec.recording.responseBody', ['Masked', 'None'], issues);
    const max = rec['maxBodyBytes'];
    if (max !== undefined && (!Number.isInteger(max) || (max as number) < 0 || (max as number) > LIMITS.maxBodyBytes)) {
      issues.push({ path: 'spec.recording.maxBodyBytes', message: `must be an integer from 0 to ${LIMITS.maxBodyBytes}`, code: SCHEMA_ERROR });
    }
  }
}

function podSelector(value: unknown, issues: IssueList): void {
  const sel = object(value, 'spec.podSelector', issues);
  if (sel === undefined) return;
  known(sel, 'spec.podSelector', ['matchLabels', 'matchExpressions'], issues);
  if (sel['matchLabels'] !== undefined) labels(sel['matchLabels'], 'spec.podSelector.matchLabels', issues);
  list(sel['matchExpressions'], 'spec.podSelector.matchExpressions', LIMITS.matchExpressions, issues)?.forEach((e, i) => {
    const path = `spec.podSelector.matchExpressions[${i}]`;
    const x = object(e, path, issues);
    if (x === undefined) return;
    known(x, path, ['key', 'operator', 'values'], issues);
    string(x['key'], `${path}.key`, issues, { max: LIMITS.labelKeyLength, pattern: LABEL_KEY, required: true });
    const op = oneOf(x['operator'], `${path}.operator`, ['In', 'NotIn', 'Exists', 'DoesNotExist'], issues, true);
    const values = stringList(x['values'], `${path}.values`, issues, { maxItems: LIMITS.matchValues, max: LIMITS.labelValueLength, pattern: LABEL_VALUE });
    if ((op === 'In' || op === 'NotIn') && (values === undefined || values.length === 0)) issues.push({ path: `${path}.values`, message: `must be non-empty for operator ${op}`, code: SCHEMA_ERROR });
    if ((op === 'Exists' || op === 'DoesNotExist') && values !== undefined && values.length > 0) issues.push({ path: `${path}.values`, message: `must be empty for operator ${op}`, code: SCHEMA_ERROR });
  });
}

function rule(value: unknown, path: string, issues: IssueList): string | undefined {
  const r = object(value, path, issues);
  if (r === undefined) return undefined;
  known(r, path, ['name', 'action', 'operations', 'resources', 'when', 'approval'], issues);
  const name = string(r['name'], `${path}.name`, issues, { max: LIMITS.ruleNameLength, pattern: RULE_NAME, required: true, what: 'a DNS-1123 label (lower case, digits, -)' });
  const action = oneOf(r['action'], `${path}.action`, ['Allow', 'Deny', 'RequireApproval'], issues, true);
  const ops = stringList(r['operations'], `${path}.operations`, issues, { maxItems: LIMITS.operations, max: LIMITS.operationLength, pattern: OPERATION, what: "'service:Operation' with * or ? globs", required: true });
  if (ops !== undefined && ops.length === 0) issues.push({ path: `${path}.operations`, message: 'must name at least one operation', code: SCHEMA_ERROR });
  const res = stringList(r['resources'], `${path}.resources`, issues, { maxItems: LIMITS.resources, max: LIMITS.resourceLength, pattern: RESOURCE, what: "'*' or an ARN glob (arn:…)" });
  if (res !== undefined && res.length === 0) issues.push({ path: `${path}.resources`, message: 'must not be empty; omit it to match any resource', code: SCHEMA_ERROR });
  string(r['when'], `${path}.when`, issues, { max: LIMITS.whenLength });
  if (r['approval'] !== undefined) {
    if (action !== undefined && action !== 'RequireApproval') issues.push({ path: `${path}.approval`, message: 'approval is only allowed with action RequireApproval', code: SCHEMA_ERROR });
    approval(r['approval'], `${path}.approval`, issues);
  }
  return typeof name === 'string' ? name : undefined;
}

function approval(value: unknown, path: string, issues: IssueList): void {
  const a = object(value, path, issues);
  if (a === undefined) return;
  known(a, path, ['approvers', 'grantTTL', 'timeout'], issues);
  const who = optionalObject(a['approvers'], `${path}.approvers`, issues);
  if (who !== undefined) {
    known(who, `${path}.approvers`, ['groups', 'users'], issues);
    for (const k of ['groups', 'users']) stringList(who[k], `${path}.approvers.${k}`, issues, { maxItems: LIMITS.approvers, max: LIMITS.approverLength, min: 1 });
  }
  for (const k of ['grantTTL', 'timeout']) {
    const d = string(a[k], `${path}.${k}`, issues, { max: LIMITS.durationLength, pattern: DURATION, what: 'a duration such as 10m, 1h30m or 90s' });
    if (d !== undefined && parseDuration(d) === 0) issues.push({ path: `${path}.${k}`, message: 'must be longer than 0', code: SCHEMA_ERROR });
  }
}

function masking(value: unknown, path: string, issues: IssueList): void {
  const m = object(value, path, issues);
  if (m === undefined) return;
  known(m, path, ['operations', 'fields', 'in'], issues);
  const ops = stringList(m['operations'], `${path}.operations`, issues, { maxItems: LIMITS.operations, max: LIMITS.operationLength, pattern: OPERATION, what: "'service:Operation' with * or ? globs", required: true });
  if (ops !== undefined && ops.length === 0) issues.push({ path: `${path}.operations`, message: 'must name at least one operation', code: SCHEMA_ERROR });
  const fields = stringList(m['fields'], `${path}.fields`, issues, { maxItems: LIMITS.maskFields, max: LIMITS.maskFieldLength, pattern: FIELD_PATH, what: 'a field path such as SecretString, Credentials.SecretAccessKey or Parameters[*].Value', required: true });
  if (fields !== undefined && fields.length === 0) issues.push({ path: `${path}.fields`, message: 'must name at least one field', code: SCHEMA_ERROR });
  const targets = stringList(m['in'], `${path}.in`, issues, { maxItems: 2, required: true });
  targets?.forEach((t, i) => oneOf(t, `${path}.in[${i}]`, ['Audit', 'Response'], issues));
  if (targets !== undefined && targets.length === 0) issues.push({ path: `${path}.in`, message: 'must name Audit, Response or both', code: SCHEMA_ERROR });
  if (targets !== undefined && new Set(targets).size !== targets.length) issues.push({ path: `${path}.in`, message: 'must not repeat a value', code: SCHEMA_ERROR });
}

function labels(value: unknown, path: string, issues: IssueList): void {
  const l = object(value, path, issues);
  if (l === undefined) return;
  const keys = Object.keys(l);
  if (keys.length > LIMITS.matchLabels) issues.push({ path, message: `must have at most ${LIMITS.matchLabels} entries`, code: SCHEMA_ERROR });
  for (const k of keys) {
    if (!LABEL_KEY.test(k) || k.length > LIMITS.labelKeyLength) issues.push({ path: `${path}.${k}`, message: 'invalid label key', code: SCHEMA_ERROR });
    string(l[k], `${path}.${k}`, issues, { max: LIMITS.labelValueLength, pattern: LABEL_VALUE, required: true, what: 'a label value' });
  }
}

// ---- primitive checks; each reports its own problem and returns the value when usable.

function object(value: unknown, path: string, issues: IssueList): Obj | undefined {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Obj;
  issues.push({ path: path === '' ? '(document)' : path, message: value === undefined ? 'required' : 'must be an object', code: SCHEMA_ERROR });
  return undefined;
}

function optionalObject(value: unknown, path: string, issues: IssueList): Obj | undefined {
  return value === undefined ? undefined : object(value, path, issues);
}

function known(o: Obj, path: string, fields: readonly string[], issues: IssueList): void {
  for (const k of Object.keys(o)) {
    if (!fields.includes(k)) issues.push({ path: path === '' ? k : `${path}.${k}`, message: `unknown field (expected one of: ${fields.join(', ')})`, code: SCHEMA_ERROR });
  }
}

function list(value: unknown, path: string, max: number, issues: IssueList): unknown[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    issues.push({ path, message: 'must be a list', code: SCHEMA_ERROR });
    return undefined;
  }
  if (value.length > max) issues.push({ path, message: `must have at most ${max} items, has ${value.length}`, code: SCHEMA_ERROR });
  return value;
}

interface StringRules {
  max?: number;
  min?: number;
  pattern?: RegExp;
  required?: boolean;
  what?: string;
}

function string(value: unknown, path: string, issues: IssueList, rules: StringRules = {}): string | undefined {
  if (value === undefined) {
    if (rules.required === true) issues.push({ path, message: 'required', code: SCHEMA_ERROR });
    return undefined;
  }
  if (typeof value !== 'string') {
    issues.push({ path, message: 'must be a string', code: SCHEMA_ERROR });
    return undefined;
  }
  if (rules.max !== undefined && value.length > rules.max) issues.push({ path, message: `must be at most ${rules.max} characters`, code: SCHEMA_ERROR });
  else if (rules.min !== undefined && value.length < rules.min) issues.push({ path, message: `must be at least ${rules.min} character(s)`, code: SCHEMA_ERROR });
  else if (rules.pattern !== undefined && !rules.pattern.test(value)) issues.push({ path, message: `'${value}' is not ${rules.what ?? `valid (${rules.pattern.source})`}`, code: SCHEMA_ERROR });
  else return value;
  return undefined;
}

function stringList(value: unknown, path: string, issues: IssueList, rules: StringRules & { maxItems: number }): string[] | undefined {
  if (value === undefined && rules.required === true) {
    issues.push({ path, message: 'required', code: SCHEMA_ERROR });
    return undefined;
  }
  const items = list(value, path, rules.maxItems, issues);
  if (items === undefined) return undefined;
  const { required: _required, ...itemRules } = rules;
  items.forEach((v, i) => string(v, `${path}[${i}]`, issues, { ...itemRules, required: true }));
  return items.every((v) => typeof v === 'string') ? (items as string[]) : undefined;
}

function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[], issues: IssueList, required = false): T | undefined {
  if (value === undefined) {
    if (required) issues.push({ path, message: `required: one of ${allowed.join(', ')}`, code: SCHEMA_ERROR });
    return undefined;
  }
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  issues.push({ path, message: `must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`, code: SCHEMA_ERROR });
  return undefined;
}
