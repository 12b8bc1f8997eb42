import { describe, expect, it } from '@jest/globals';
import { PolicySet } from './policy-set.js';
import { call, policy } from './testing/policy-fixtures.js';
import type { PolicyRequest } from './types.js';

/** The DESIGN §4 policy. */
const research = policy('research-agents', {
  podSelector: { matchLabels: { team: 'research' } },
  defaultAction: 'Deny',
  upstream: { roleArn: 'arn:aws:iam::123456789012:role/research-readonly', sourceIdentity: 'Initiator' },
  rules: [
    { name: 'read-reports', action: 'Allow', operations: ['s3:Get*', 's3:List*'], resources: ['arn:aws:s3:::reports-*', 'arn:aws:s3:::reports-*/*'] },
    { name: 'iam-needs-a-human', action: 'RequireApproval', operations: ['iam:*'], approval: { approvers: { groups: ['sre'] }, grantTTL: '10m' } },
    { name: 'nested-agents-never-delete', action: 'Deny', operations: ['*:Delete*'], when: 'size(identity.chain) > 2' },
    { name: 'delete-reports', action: 'Allow', operations: ['s3:DeleteObject'], resources: ['arn:aws:s3:::reports-*/*'] },
  ],
  masking: [{ operations: ['secretsmanager:GetSecretValue'], fields: ['SecretString', 'SecretBinary'], in: ['Audit'] }],
  recording: { requestBody: 'Masked', responseBody: 'Masked', maxBodyBytes: 65536 },
});

const set = PolicySet.of([research]);
const nested = ['Pod agents/planner', 'Agent sweeper'];

describe('PolicySet.evaluate: one policy (DESIGN §4)', () => {
  const cases: Array<[string, PolicyRequest, string, string | undefined, string]> = [
    ['reads a report object', call('s3:GetObject arn:aws:s3:::reports-2026/q1.csv'), 'Allow', 'read-reports', 'rule'],
    ['lists a report bucket', call('s3:ListObjectsV2 arn:aws:s3:::reports-2026'), 'Allow', 'read-reports', 'rule'],
    ['operation names are case-insensitive, as in IAM', call('S3:getobject arn:aws:s3:::reports-x/k'), 'Allow', 'read-reports', 'rule'],
    ['resource ARNs are case-sensitive', call('s3:GetObject arn:aws:s3:::Reports-x/k'), 'Deny', undefined, 'default'],
    ['reads another bucket: default', call('s3:GetObject arn:aws:s3:::secrets/k'), 'Deny', undefined, 'default'],
    ['unknown resource meets no resource-bound rule', call('s3:GetObject *'), 'Deny', undefined, 'default'],
    ['IAM waits for a human', call('iam:CreateUser arn:aws:iam::123456789012:user/bob'), 'RequireApproval', 'iam-needs-a-human', 'rule'],
    ['a direct delete of a report is allowed', call('s3:DeleteObject arn:aws:s3:::reports-1/k'), 'Allow', 'delete-reports', 'rule'],
    ['a nested agent may not delete: Deny beats Allow', call('s3:DeleteObject arn:aws:s3:::reports-1/k', { chain: nested }), 'Deny', 'nested-agents-never-delete', 'rule'],
    ['a nested agent deleting an IAM user: Deny beats RequireApproval', call('iam:DeleteUser', { chain: nested }), 'Deny', 'nested-agents-never-delete', 'rule'],
    ['an unmatched service falls to the default', call('ec2:RunInstances'), 'Deny', undefined, 'default'],
  ];
  it.each(cases)('%s', (_name, req, action, rule, reason) => {
    const d = set.evaluate(req);
    expect(d).toMatchObject({ action, reason, policy: 'agents/research-agents' });
    expect(d.rule).toBe(rule);
  });

  it('names policy and rule in the message', () => {
    expect(set.evaluate(call('s3:DeleteObject arn:aws:s3:::reports-1/k', { chain: nested })).message).toBe('denied by GatewayPolicy agents/research-agents rule nested-agents-never-delete');
    expect(set.evaluate(call('ec2:RunInstances')).message).toBe('denied by default of GatewayPolicy agents/research-agents: no rule matched ec2:RunInstances');
    expect(set.evaluate(call('iam:GetUser')).message).toBe('approval required by GatewayPolicy agents/research-agents rule iam-needs-a-human');
  });

  it('carries approval settings, upstream role (not on Deny), recording and masking', () => {
    const held = set.evaluate(call('iam:CreateRole'));
    expect(held.approval).toEqual({ approvers: { groups: ['sre'] }, grantTTL: '10m' });
    expect(held.upstream).toEqual({ roleArn: 'arn:aws:iam::123456789012:role/research-readonly', sourceIdentity: 'Initiator', policy: 'agents/research-agents' });
    expect(held.recording).toEqual({ requestBody: 'Masked', responseBody: 'Masked', maxBodyBytes: 65536 });
    expect(set.evaluate(call('ec2:RunInstances')).upstream).toBeUndefined();
    expect(set.evaluate(call('secretsmanager:GetSecretValue')).masking).toEqual({ audit: ['SecretString', 'SecretBinary'], response: [] });
    expect(set.evaluate(call('secretsmanager:ListSecrets')).masking).toEqual({ audit: [], response: [] });
  });
});

describe('PolicySet: several policies', () => {
  const allowAll = policy('allow-all', { defaultAction: 'Allow', rules: [{ name: 'no-iam', action: 'Deny', operations: ['iam:*'] }] });
  const s3Only = policy('s3-only', { defaultAction: 'Deny', rules: [{ name: 's3', action: 'Allow', operations: ['s3:*'] }] });
  const lenient = policy('lenient', { defaultAction: 'Allow' });
  const holdPuts = policy('hold-puts', {
    defaultAction: 'Allow',
    rules: [{ name: 'puts', action: 'RequireApproval', operations: ['s3:Put*'] }],
    masking: [{ operations: ['s3:*'], fields: ['Body'], in: ['Response'] }, { operations: ['secretsmanager:*'], fields: ['SecretString'], in: ['Audit', 'Response'] }],
    recording: { requestBody: 'None', maxBodyBytes: 1024 },
  });
  const masks = policy('masks', {
    defaultAction: 'Allow',
    masking: [{ operations: ['secretsmanager:Get*'], fields: ['SecretString', 'ARN'], in: ['Audit'] }],
    recording: { requestBody: 'Masked', responseBody: 'Masked', maxBodyBytes: 4096 },
  });

  it('unions rules: a Deny in one policy beats an Allow in another', () => {
    const d = PolicySet.of([s3Only, allowAll]).evaluate(call('iam:ListUsers'));
    expect(d).toMatchObject({ action: 'Deny', policy: 'agents/allow-all', rule: 'no-iam' });
  });

  it('RequireApproval in one policy beats Allow in another', () => {
    expect(PolicySet.of([s3Only, holdPuts]).evaluate(call('s3:PutObject arn:aws:s3:::b/k'))).toMatchObject({ action: 'RequireApproval', policy: 'agents/hold-puts', rule: 'puts' });
  });

  it('the default is the most restrictive default of the set', () => {
    expect(PolicySet.of([lenient, s3Only]).evaluate(call('ec2:DescribeInstances'))).toMatchObject({ action: 'Deny', reason: 'default', policy: 'agents/s3-only' });
    expect(PolicySet.of([lenient, allowAll]).evaluate(call('ec2:DescribeInstances'))).toMatchObject({ action: 'Allow', reason: 'default', policy: 'agents/allow-all' });
  });

  it('an omitted defaultAction means Deny', () => {
    const bare = policy('bare', { rules: [{ name: 'x', action: 'Allow', operations: ['sts:GetCallerIdentity'] }] });
    expect(PolicySet.of([bare]).evaluate(call('s3:ListBuckets'))).toMatchObject({ action: 'Deny', reason: 'default' });
  });

  it('the decision does not depend on the order policies are given in', () => {
    const a = policy('a', { defaultAction: 'Allow', rules: [{ name: 'ra', action: 'Allow', operations: ['s3:*'] }] });
    const b = policy('b', { defaultAction: 'Allow', rules: [{ name: 'rb', action: 'Allow', operations: ['s3:Get*'] }] });
    expect(PolicySet.of([b, a]).evaluate(call('s3:GetObject'))).toMatchObject({ policy: 'agents/a', rule: 'ra' });
    expect(PolicySet.of([a, b]).evaluate(call('s3:GetObject'))).toMatchObject({ policy: 'agents/a', rule: 'ra' });
  });

  it('within one policy, the first matching rule of the strongest action decides', () => {
    const p = policy('order', {
      rules: [
        { name: 'first-allow', action: 'Allow', operations: ['s3:*'] },
        { name: 'second-allow', action: 'Allow', operations: ['s3:GetObject'] },
        { name: 'late-deny', action: 'Deny', operations: ['s3:GetObject'], resources: ['arn:aws:s3:::private/*'] },
      ],
    });
    const s = PolicySet.of([p]);
    expect(s.evaluate(call('s3:GetObject arn:aws:s3:::public/x')).rule).toBe('first-allow');
    expect(s.evaluate(call('s3:GetObject arn:aws:s3:::private/x')).rule).toBe('late-deny');
  });

  it('merges masking over every selecting policy and recording to the most restrictive', () => {
    const d = PolicySet.of([holdPuts, masks]).evaluate(call('secretsmanager:GetSecretValue'));
    expect(d.masking).toEqual({ audit: ['SecretString', 'ARN'], response: ['SecretString'] });
    expect(d.recording).toEqual({ requestBody: 'None', responseBody: 'Masked', maxBodyBytes: 1024 });
    expect(PolicySet.of([holdPuts]).evaluate(call('s3:GetObject')).masking).toEqual({ audit: [], response: ['Body'] });
  });

  it('the upstream role comes from the deciding policy, else the first policy naming one', () => {
    const roleA = policy('role-a', { upstream: { roleArn: 'arn:aws:iam::111111111111:role/a' }, rules: [{ name: 's3', action: 'Allow', operations: ['s3:*'] }] });
    const roleB = policy('role-b', { upstream: { roleArn: 'arn:aws:iam::222222222222:role/b', sourceIdentity: 'None' }, rules: [{ name: 'ec2', action: 'Allow', operations: ['ec2:*'] }] });
    const noRole = policy('z-no-role', { rules: [{ name: 'sqs', action: 'Allow', operations: ['sqs:*'] }] });
    const s = PolicySet.of([roleA, roleB, noRole]);
    expect(s.evaluate(call('ec2:DescribeVpcs')).upstream).toEqual({ roleArn: 'arn:aws:iam::222222222222:role/b', sourceIdentity: 'None', policy: 'agents/role-b' });
    expect(s.evaluate(call('s3:ListBuckets')).upstream).toEqual({ roleArn: 'arn:aws:iam::111111111111:role/a', sourceIdentity: 'Initiator', policy: 'agents/role-a' });
    expect(s.evaluate(call('sqs:SendMessage')).upstream?.policy).toBe('agents/role-a');
  });

  it('a later policy with the same key replaces the earlier one', () => {
    const v1 = policy('p', { defaultAction: 'Deny' });
    const v2 = policy('p', { defaultAction: 'Allow' });
    const s = PolicySet.of([v1, v2]);
    expect(s.size).toBe(1);
    expect(s.evaluate(call('s3:GetObject')).action).toBe('Allow');
  });
});

describe('PolicySet: no policy', () => {
  it('allows and says so: the gateway records but does not restrict', () => {
    const d = PolicySet.of([]).evaluate(call('iam:DeleteUser'));
    expect(d).toEqual({ action: 'Allow', reason: 'no-policy', message: expect.stringContaining('no GatewayPolicy selects this pod'), masking: { audit: [], response: [] } });
  });
});

describe('PolicySet.forPod', () => {
  const team = policy('team', { podSelector: { matchLabels: { team: 'research' } } });
  const everyone = policy('everyone', {});
  const batch = policy('batch', { podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['batch', 'etl'] }, { key: 'sandbox', operator: 'DoesNotExist' }] } });
  const notProd = policy('not-prod', { podSelector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }, { key: 'team', operator: 'Exists' }] } });
  const other = policy('other-ns', {}, 'other');
  const local = policy('local', {}, null);
  const all = PolicySet.of([team, everyone, batch, notProd, other, local]);
  const keys = (labels: Record<string, string>, ns?: string): string[] => all.forPod(labels, ns).list().map((p) => p.key);

  it.each([
    [{ team: 'research' }, ['agents/everyone', 'agents/not-prod', 'agents/team', 'other/other-ns', 'local']],
    [{ team: 'research', env: 'prod' }, ['agents/everyone', 'agents/team', 'other/other-ns', 'local']],
    [{ tier: 'etl' }, ['agents/batch', 'agents/everyone', 'other/other-ns', 'local']],
    [{ tier: 'etl', sandbox: '' }, ['agents/everyone', 'other/other-ns', 'local']],
    [{}, ['agents/everyone', 'other/other-ns', 'local']],
  ])('labels %j select %j', (labels, expected) => {
    expect(keys(labels).sort()).toEqual([...expected].sort());
  });

  it('with a namespace, keeps that namespace and namespace-less (local) policies', () => {
    expect(keys({}, 'agents').sort()).toEqual(['agents/everyone', 'local']);
    expect(keys({}, 'other').sort()).toEqual(['local', 'other/other-ns']);
  });
});

describe('PolicySet: resources', () => {
  const p = policy('res', {
    rules: [
      { name: 'star', action: 'Allow', operations: ['sqs:*'], resources: ['*'] },
      { name: 'one-char', action: 'Allow', operations: ['dynamodb:GetItem'], resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/t?'] },
      { name: 'middle', action: 'Allow', operations: ['s3:GetObject'], resources: ['arn:aws:s3:::logs-*/2026/*.json'] },
    ],
  });
  const s = PolicySet.of([p]);
  it.each([
    ['sqs:SendMessage *', 'star'],
    ['sqs:SendMessage', 'star'],
    ['dynamodb:GetItem arn:aws:dynamodb:eu-west-1:123456789012:table/t1', 'one-char'],
    ['dynamodb:GetItem arn:aws:dynamodb:eu-west-1:123456789012:table/t12', undefined],
    ['s3:GetObject arn:aws:s3:::logs-a/2026/x.json', 'middle'],
    ['s3:GetObject arn:aws:s3:::logs-a/2025/x.json', undefined],
    ['s3:GetObject arn:aws:s3:::other/k arn:aws:s3:::logs-b/2026/a/b.json', 'middle'],
  ])('%s → %s', (spec, rule) => {
    expect(s.evaluate(call(spec)).rule).toBe(rule);
  });
  it('a call without derived resources counts as unknown', () => {
    expect(s.evaluate({ ...call('sqs:SendMessage'), aws: { ...call('sqs:SendMessage').aws, resources: [] } }).rule).toBe('star');
  });
});
