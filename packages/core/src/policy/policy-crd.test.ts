/**
 * The CRD and the engine agree: what the apiserver accepts compiles, what it
 * refuses does not, and both state the same bounds and patterns. The
 * apiserver side runs in e2e/tests/crds.test.ts against the same examples.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { loadPolicyFile } from './load-policy-file.js';
import { DURATION, FIELD_PATH, LIMITS, OPERATION, RESOURCE, ROLE_ARN, RULE_NAME } from './policy-limits.js';

const CRDS = new URL('../../../../crds/', import.meta.url);
const examples = (kind: 'valid' | 'invalid'): string[] => readdirSync(new URL(`examples/${kind}/`, CRDS)).filter((f) => f.endsWith('.yaml')).sort();
const read = (path: string): string => readFileSync(new URL(path, CRDS), 'utf8');

describe('CRD examples through the engine', () => {
  it('has examples of both kinds', () => {
    expect(examples('valid').length).toBeGreaterThanOrEqual(2);
    expect(examples('invalid').length).toBeGreaterThanOrEqual(5);
  });

  it.each(examples('valid'))('valid/%s compiles', (file) => {
    const r = loadPolicyFile(read(`examples/valid/${file}`), file);
    expect(r.errors).toEqual([]);
    expect(r.policies).toHaveLength(1);
  });

  it.each(examples('invalid'))('invalid/%s is refused', (file) => {
    const r = loadPolicyFile(read(`examples/invalid/${file}`), file);
    expect(r.policies).toHaveLength(0);
    expect(r.errors.length).toBeGreaterThan(0);
  });
});

type Schema = { properties?: Record<string, Schema>; items?: Schema; additionalProperties?: Schema; maxItems?: number; minItems?: number; maxLength?: number; pattern?: string; enum?: string[]; maximum?: number; maxProperties?: number };

describe('CRD bounds match policy-limits.ts', () => {
  const crd = parse(read('agentrail.dev_gatewaypolicies.yaml')) as { spec: { versions: Array<{ schema: { openAPIV3Schema: Schema } }> } };
  const spec = crd.spec.versions[0]!.schema.openAPIV3Schema.properties!['spec']!;
  const at = (path: string): Schema => path.split('.').reduce<Schema>((s, k) => (k === '[]' ? s.items! : k === '{}' ? s.additionalProperties! : s.properties![k]!), spec);

  it.each<[string, keyof Schema, number | string]>([
    ['rules', 'maxItems', LIMITS.rules],
    ['rules.[].name', 'maxLength', LIMITS.ruleNameLength],
    ['rules.[].name', 'pattern', RULE_NAME.source],
    ['rules.[].operations', 'maxItems', LIMITS.operations],
    ['rules.[].operations.[]', 'maxLength', LIMITS.operationLength],
    ['rules.[].operations.[]', 'pattern', OPERATION.source],
    ['rules.[].resources', 'maxItems', LIMITS.resources],
    ['rules.[].resources.[]', 'maxLength', LIMITS.resourceLength],
    ['rules.[].resources.[]', 'pattern', RESOURCE.source],
    ['rules.[].when', 'maxLength', LIMITS.whenLength],
    ['rules.[].approval.approvers.groups', 'maxItems', LIMITS.approvers],
    ['rules.[].approval.approvers.users.[]', 'maxLength', LIMITS.approverLength],
    ['rules.[].approval.grantTTL', 'pattern', DURATION.source],
    ['rules.[].approval.timeout', 'maxLength', LIMITS.durationLength],
    ['masking', 'maxItems', LIMITS.masking],
    ['masking.[].operations', 'maxItems', LIMITS.operations],
    ['masking.[].operations.[]', 'pattern', OPERATION.source],
    ['masking.[].fields', 'maxItems', LIMITS.maskFields],
    ['masking.[].fields.[]', 'maxLength', LIMITS.maskFieldLength],
    ['masking.[].fields.[]', 'pattern', FIELD_PATH.source],
    ['upstream.roleArn', 'maxLength', LIMITS.roleArnLength],
    ['upstream.roleArn', 'pattern', ROLE_ARN.source.replace(/\\\//g, '/')],
    ['recording.maxBodyBytes', 'maximum', LIMITS.maxBodyBytes],
    ['podSelector.matchLabels', 'maxProperties', LIMITS.matchLabels],
    ['podSelector.matchLabels.{}', 'maxLength', LIMITS.labelValueLength],
    ['podSelector.matchExpressions', 'maxItems', LIMITS.matchExpressions],
    ['podSelector.matchExpressions.[].key', 'maxLength', LIMITS.labelKeyLength],
    ['podSelector.matchExpressions.[].values', 'maxItems', LIMITS.matchValues],
  ])('spec.%s %s', (path, key, expected) => {
    expect(at(path)[key]).toBe(expected);
  });

  it.each<[string, string[]]>([
    ['defaultAction', ['Allow', 'Deny']],
    ['rules.[].action', ['Allow', 'Deny', 'RequireApproval']],
    ['upstream.sourceIdentity', ['Initiator', 'None']],
    ['masking.[].in.[]', ['Audit', 'Response']],
    ['recording.requestBody', ['Masked', 'None']],
    ['podSelector.matchExpressions.[].operator', ['In', 'NotIn', 'Exists', 'DoesNotExist']],
  ])('spec.%s enum', (path, values) => {
    expect(at(path).enum).toEqual(values);
  });
});
