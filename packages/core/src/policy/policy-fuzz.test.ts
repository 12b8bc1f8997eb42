/**
 * Random policies against random calls (seeded, so a failure reproduces):
 * evaluate() never throws, and its indexed, first-match-wins search agrees
 * with a plain reference evaluation of the precedence rules.
 */
import { describe, expect, it } from '@jest/globals';
import { celBindings } from './cel-condition.js';
import type { CompiledPolicy } from './compile-policy.js';
import { compilePolicy } from './compile-policy.js';
import { PolicySet } from './policy-set.js';
import { seededRandom } from '../testing/seeded-random.js';
import type { PolicyRequest, PolicyRule, RuleAction } from './types.js';

const OPS = ['*', 's3:*', 's3:Get*', 's3:?etObject', 'S3:PUTOBJECT', '*:Delete*', 'iam:*', 'ec2:Describe*', 'dynamodb:*Item', 'sts:GetCallerIdentity', 'kms:Decrypt', '*:List*', 'sqs:*Message*'];
const RESOURCES = ['*', 'arn:aws:s3:::b*', 'arn:aws:s3:::b1/*', 'arn:aws:s3:::*/secret?', 'arn:aws:iam::*:user/*', 'arn:aws:dynamodb:*:*:table/t'];
const WHENS = [
  'size(identity.chain) > 2', "identity.initiator == 'alice'", "aws.region.startsWith('eu-')", 'time.getHours() < 12',
  "request.params.Bucket == 'b1'", // an error when the param is missing
  "time.getHours('Europe/Berlin') >= 9 && time.getDayOfWeek('Europe/Berlin') < 6", "identity.chain.exists(a, a.type == 'Agent')",
  'int(request.params.MaxKeys) > 10', "request.headers['x-a'] == '1'", 'aws.resources.all(r, r.matches("^arn:aws:s3"))',
];
const CALL_OPS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBuckets', 'iam:CreateUser', 'iam:DeleteUser', 'ec2:DescribeInstances', 'dynamodb:GetItem', 'sts:GetCallerIdentity', 'kms:Decrypt', 'sqs:ReceiveMessage', 'lambda:Invoke', 'nocolon', '', ':', 'ünï:Cödé', 'S3:getobject'];
const CALL_RES = ['*', 'arn:aws:s3:::b1/k', 'arn:aws:s3:::b2/secret1', 'arn:aws:iam::123456789012:user/bob', 'arn:aws:dynamodb:eu-west-1:1:table/t', '', 'arn:aws:s3:::b1/\nx'];
const ACTIONS: RuleAction[] = ['Allow', 'Deny', 'RequireApproval'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}
function some<T>(r: () => number, xs: readonly T[], max: number): T[] {
  return Array.from({ length: 1 + Math.floor(r() * max) }, () => pick(r, xs));
}

function randomPolicy(r: () => number, i: number): CompiledPolicy {
  const rules: PolicyRule[] = Array.from({ length: Math.floor(r() * 6) }, (_, j) => {
    const rule: PolicyRule = { name: `r${j}`, action: pick(r, ACTIONS), operations: some(r, OPS, 3) };
    if (r() < 0.4) rule.resources = some(r, RESOURCES, 2);
    if (r() < 0.4) rule.when = pick(r, WHENS);
    return rule;
  });
  const res = compilePolicy({
    apiVersion: 'agentrail.dev/v1alpha1',
    kind: 'GatewayPolicy',
    metadata: { name: `p${i}`, namespace: 'ns' },
    spec: { defaultAction: r() < 0.5 ? 'Allow' : 'Deny', rules, masking: r() < 0.3 ? [{ operations: some(r, OPS, 2), fields: ['SecretString'], in: ['Audit'] }] : [] },
  });
  if (!res.ok) throw new Error(JSON.stringify(res.errors));
  return res.policy;
}

function randomCall(r: () => number): PolicyRequest {
  const chain = some(r, [{ type: 'User', name: 'alice' }, { type: 'Pod', name: 'ns/p' }, { type: 'Agent', name: 'x' }], 4);
  const params: Record<string, unknown> = {};
  if (r() < 0.5) params['Bucket'] = pick(r, ['b1', 'b2', 7, null, ['x']]);
  if (r() < 0.5) params['MaxKeys'] = pick(r, [5, 50, '20', 'abc', 1.5]);
  return {
    identity: { initiator: pick(r, ['alice', 'bob', '']), chain, session: 's' },
    aws: { service: 's', operation: pick(r, CALL_OPS), region: pick(r, ['eu-west-1', 'us-east-1', '']), resources: r() < 0.2 ? [] : some(r, CALL_RES, 2) },
    request: { method: 'GET', path: '/', headers: r() < 0.5 ? { 'X-A': '1' } : {}, params },
    time: new Date(Date.UTC(2026, 0, 1) + Math.floor(r() * 365 * 86_400_000)),
  };
}

/** Precedence written out plainly: collect every matching rule, take the strongest, the first of equals. */
function reference(policies: readonly CompiledPolicy[], req: PolicyRequest): { action: RuleAction; policy?: string; rule?: string } {
  const sorted = [...policies].sort((a, b) => (a.key < b.key ? -1 : 1));
  if (sorted.length === 0) return { action: 'Allow' };
  const op = req.aws.operation.toLowerCase();
  const bindings = celBindings(req);
  let best: { rank: number; action: RuleAction; policy: string; rule: string } | undefined;
  for (const p of sorted) {
    for (const rule of p.rules) {
      if (!rule.matchOperation(op)) continue;
      const resources = req.aws.resources.length === 0 ? ['*'] : req.aws.resources;
      if (rule.matchResource !== undefined && !resources.some((x) => rule.matchResource!(x))) continue;
      const v = rule.condition?.evaluate(bindings) ?? true;
      if (v === false || (v instanceof Error && rule.action === 'Allow')) continue;
      if (best === undefined || rule.rank > best.rank) best = { rank: rule.rank, action: rule.action, policy: p.key, rule: rule.name };
    }
  }
  if (best !== undefined) return { action: best.action, policy: best.policy, rule: best.rule };
  const strict = sorted.find((p) => p.defaultAction === 'Deny');
  return { action: strict ? 'Deny' : 'Allow', policy: (strict ?? sorted[0])!.key };
}

describe('policy fuzz', () => {
  it('random policies and calls: never throws, agrees with the reference', () => {
    const r = seededRandom(20260304);
    let cases = 0;
    for (let round = 0; round < 40; round++) {
      const policies = Array.from({ length: Math.floor(r() * 5) }, (_, i) => randomPolicy(r, i));
      const set = PolicySet.of(policies);
      for (let k = 0; k < 15; k++) {
        const req = randomCall(r);
        const d = set.evaluate(req);
        const want = reference(policies, req);
        expect({ action: d.action, policy: d.policy, rule: d.rule }).toEqual({ action: want.action, policy: want.policy, rule: want.rule });
        expect(['rule', 'default', 'no-policy']).toContain(d.reason);
        expect(typeof d.message).toBe('string');
        cases++;
      }
    }
    expect(cases).toBe(600);
  });

  it('random garbage objects never make compilePolicy throw', () => {
    const r = seededRandom(7);
    const values = [null, 0, -1, 1.5, '', 'x', '*', true, [], {}, [null], { a: 1 }, 'arn:aws:s3:::b', 's3:*', 'Allow', 'size(', '((((', "'".repeat(3)];
    const shape = (depth: number): unknown => {
      if (depth > 3 || r() < 0.3) return pick(r, values);
      if (r() < 0.5) return Array.from({ length: Math.floor(r() * 3) }, () => shape(depth + 1));
      const keys = ['name', 'action', 'operations', 'resources', 'when', 'approval', 'rules', 'masking', 'fields', 'in', 'podSelector', 'matchLabels', 'matchExpressions', 'upstream', 'roleArn', 'recording'];
      return Object.fromEntries(Array.from({ length: Math.floor(r() * 4) }, () => [pick(r, keys), shape(depth + 1)]));
    };
    for (let i = 0; i < 300; i++) {
      const obj = { apiVersion: 'agentrail.dev/v1alpha1', kind: 'GatewayPolicy', metadata: { name: 'g' }, spec: shape(0) };
      expect(() => compilePolicy(obj)).not.toThrow();
    }
  });
});
