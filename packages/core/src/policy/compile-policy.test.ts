import { describe, expect, it } from '@jest/globals';
import { compilePolicy } from './compile-policy.js';

const base = { apiVersion: 'agentrail.dev/v1alpha1', kind: 'GatewayPolicy', metadata: { name: 'p', namespace: 'agents' } };
const withSpec = (spec: unknown): unknown => ({ ...base, spec });
const rule = (extra: Record<string, unknown>): Record<string, unknown> => ({ name: 'r', action: 'Allow', operations: ['s3:GetObject'], ...extra });

function errors(obj: unknown): string[] {
  const r = compilePolicy(obj);
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}

describe('compilePolicy errors point to the field', () => {
  it.each<[string, unknown, string]>([
    ['not an object', 'hello', '(document): must be an object'],
    ['wrong apiVersion', { ...base, apiVersion: 'v1', spec: {} }, 'apiVersion: must be agentrail.dev/v1alpha1'],
    ['wrong kind', { ...base, kind: 'Policy', spec: {} }, 'kind: must be GatewayPolicy'],
    ['missing spec', base, 'spec: required'],
    ['bad name', { ...base, metadata: { name: 'Bad_Name' }, spec: {} }, "metadata.name: 'Bad_Name' is not valid"],
    ['unknown spec field', withSpec({ rule: [] }), 'spec.rule: unknown field (expected one of: podSelector, defaultAction, upstream, rules, masking, recording)'],
    ['unknown rule field', withSpec({ rules: [rule({ resource: ['*'] })] }), 'spec.rules[0].resource: unknown field'],
    ['defaultAction enum', withSpec({ defaultAction: 'Block' }), 'spec.defaultAction: must be one of Allow, Deny, not "Block"'],
    ['action enum', withSpec({ rules: [rule({ action: 'Block' })] }), 'spec.rules[0].action: must be one of Allow, Deny, RequireApproval, not "Block"'],
    ['missing action', withSpec({ rules: [{ name: 'r', operations: ['s3:*'] }] }), 'spec.rules[0].action: required: one of Allow, Deny, RequireApproval'],
    ['missing operations', withSpec({ rules: [{ name: 'r', action: 'Allow' }] }), 'spec.rules[0].operations: required'],
    ['empty operations', withSpec({ rules: [rule({ operations: [] })] }), 'spec.rules[0].operations: must name at least one operation'],
    ['operation without service', withSpec({ rules: [rule({ operations: ['s3:Get*', 'GetObject'] })] }), "spec.rules[0].operations[1]: 'GetObject' is not 'service:Operation' with * or ? globs"],
    ['resource not an ARN', withSpec({ rules: [rule({ resources: ['my-bucket'] })] }), "spec.rules[0].resources[0]: 'my-bucket' is not '*' or an ARN glob (arn:…)"],
    ['empty resources', withSpec({ rules: [rule({ resources: [] })] }), 'spec.rules[0].resources: must not be empty; omit it to match any resource'],
    ['rule name', withSpec({ rules: [rule({ name: 'Read_All' })] }), "spec.rules[0].name: 'Read_All' is not a DNS-1123 label (lower case, digits, -)"],
    ['duplicate rule names', withSpec({ rules: [rule({}), rule({ action: 'Deny' })] }), "spec.rules[1].name: duplicate rule name 'r' (also spec.rules[0])"],
    ['approval on Allow', withSpec({ rules: [rule({ approval: {} })] }), 'spec.rules[0].approval: approval is only allowed with action RequireApproval'],
    ['grantTTL not a duration', withSpec({ rules: [rule({ action: 'RequireApproval', approval: { grantTTL: '10 minutes' } })] }), "spec.rules[0].approval.grantTTL: '10 minutes' is not a duration such as 10m, 1h30m or 90s"],
    ['zero timeout', withSpec({ rules: [rule({ action: 'RequireApproval', approval: { timeout: '0s' } })] }), 'spec.rules[0].approval.timeout: must be longer than 0'],
    ['empty approver', withSpec({ rules: [rule({ action: 'RequireApproval', approval: { approvers: { users: [''] } } })] }), 'spec.rules[0].approval.approvers.users[0]: must be at least 1 character(s)'],
    ['too many rules', withSpec({ rules: Array.from({ length: 65 }, (_, i) => rule({ name: `r${i}` })) }), 'spec.rules: must have at most 64 items, has 65'],
    ['operation too long', withSpec({ rules: [rule({ operations: [`s3:${'A'.repeat(130)}`] })] }), 'spec.rules[0].operations[0]: must be at most 128 characters'],
    ['when not a string', withSpec({ rules: [rule({ when: true })] }), 'spec.rules[0].when: must be a string'],
    ['when typo', withSpec({ rules: [rule({}), rule({ name: 'b' }), rule({ name: 'c', when: "identiy.initiator == 'alice'" })] }), "spec.rules[2].when: undeclared reference to 'identiy' (variables: identity, request, aws, time) (column 1)"],
    ['roleArn', withSpec({ upstream: { roleArn: 'arn:aws:iam::123:role/x' } }), "spec.upstream.roleArn: 'arn:aws:iam::123:role/x' is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"],
    ['sourceIdentity', withSpec({ upstream: { sourceIdentity: 'Alice' } }), 'spec.upstream.sourceIdentity: must be one of Initiator, None, not "Alice"'],
    ['masking in empty', withSpec({ masking: [{ operations: ['s3:*'], fields: ['Body'], in: [] }] }), 'spec.masking[0].in: must name Audit, Response or both'],
    ['masking in value', withSpec({ masking: [{ operations: ['s3:*'], fields: ['Body'], in: ['Logs'] }] }), 'spec.masking[0].in[0]: must be one of Audit, Response, not "Logs"'],
    ['masking in repeated', withSpec({ masking: [{ operations: ['s3:*'], fields: ['Body'], in: ['Audit', 'Audit'] }] }), 'spec.masking[0].in: must not repeat a value'],
    ['masking field path', withSpec({ masking: [{ operations: ['s3:*'], fields: ['Parameters[0].Value'], in: ['Audit'] }] }), "spec.masking[0].fields[0]: 'Parameters[0].Value' is not a field path"],
    ['masking without fields', withSpec({ masking: [{ operations: ['s3:*'], in: ['Audit'] }] }), 'spec.masking[0].fields: required'],
    ['maxBodyBytes', withSpec({ recording: { maxBodyBytes: 2_000_000 } }), 'spec.recording.maxBodyBytes: must be an integer from 0 to 1048576'],
    ['selector operator', withSpec({ podSelector: { matchExpressions: [{ key: 'a', operator: 'Has' }] } }), 'spec.podSelector.matchExpressions[0].operator: must be one of In, NotIn, Exists, DoesNotExist, not "Has"'],
    ['selector In without values', withSpec({ podSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } }), 'spec.podSelector.matchExpressions[0].values: must be non-empty for operator In'],
    ['selector Exists with values', withSpec({ podSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } }), 'spec.podSelector.matchExpressions[0].values: must be empty for operator Exists'],
    ['selector label value', withSpec({ podSelector: { matchLabels: { team: 'has space' } } }), "spec.podSelector.matchLabels.team: 'has space' is not a label value"],
  ])('%s', (_name, obj, expected) => {
    const found = errors(obj);
    expect(found.some((e) => e.startsWith(expected))).toBe(true);
    if (!found.some((e) => e.startsWith(expected))) throw new Error(found.join('\n'));
  });

  it('reports every problem at once, schema and CEL together', () => {
    const found = errors(withSpec({ defaultAction: 'Maybe', rules: [rule({ action: 'Block', when: 'nope' }), rule({ name: 'r', when: 'size(identity.chain)' })] }));
    expect(found).toEqual([
      'spec.defaultAction: must be one of Allow, Deny, not "Maybe"',
      'spec.rules[0].action: must be one of Allow, Deny, RequireApproval, not "Block"',
      "spec.rules[1].name: duplicate rule name 'r' (also spec.rules[0])",
      "spec.rules[0].when: undeclared reference to 'nope' (variables: identity, request, aws, time) (column 1)",
      'spec.rules[1].when: must evaluate to bool, not int',
    ]);
    const r = compilePolicy(withSpec({ rules: [rule({ when: 'x' })] }));
    expect(r.ok ? [] : r.errors.map((e) => e.code)).toEqual(['POLICY_CEL']);
  });
});

describe('compilePolicy output', () => {
  it('keeps a clean source for publishing: reduced metadata, no status', () => {
    const r = compilePolicy({
      ...base,
      metadata: { name: 'p', namespace: 'agents', generation: 3, uid: 'u-1', resourceVersion: '9', managedFields: [{}], labels: { a: 'b' } },
      spec: { rules: [rule({})] },
      status: { conditions: [] },
    });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.policy.key).toBe('agents/p');
    expect(r.policy.generation).toBe(3);
    expect(r.policy.defaultAction).toBe('Deny');
    expect(r.policy.source).toEqual({ ...base, metadata: { name: 'p', namespace: 'agents', generation: 3, uid: 'u-1', labels: { a: 'b' } }, spec: { rules: [rule({})] } });
    // What the controller publishes compiles again to the same policy.
    const again = compilePolicy(JSON.parse(JSON.stringify(r.policy.source)));
    expect(again.ok && again.policy.source).toEqual(r.policy.source);
  });

  it('defaults sourceIdentity to Initiator when a role is named', () => {
    const r = compilePolicy(withSpec({ upstream: { roleArn: 'arn:aws-us-gov:iam::123456789012:role/path/ro' } }));
    expect(r.ok && r.policy.upstream).toEqual({ roleArn: 'arn:aws-us-gov:iam::123456789012:role/path/ro', sourceIdentity: 'Initiator' });
  });
});
