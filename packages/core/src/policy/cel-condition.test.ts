import { describe, expect, it } from '@jest/globals';
import { celBindings, compileCondition, type CelCondition } from './cel-condition.js';
import { PolicySet } from './policy-set.js';
import { call, policy } from './testing/policy-fixtures.js';

function compiled(src: string): CelCondition {
  const c = compileCondition(src);
  if (typeof c === 'string') throw new Error(`${src}: ${c}`);
  return c;
}

const nested = call('s3:DeleteObject arn:aws:s3:::b/k', { chain: ['Pod agents/planner', 'Agent sweeper'], initiator: 'alice', region: 'eu-central-1' });
// 2026-03-04 is a Wednesday; 10:00 UTC is 11:00 in Berlin.
const wednesday = call('s3:GetObject', { initiator: 'bob', region: 'us-east-1', time: '2026-03-04T10:00:00Z', params: { MaxKeys: 100, Bucket: 'b', Tags: [{ Key: 'env', Value: 'prod' }] }, headers: { 'X-Amz-Target': 'DynamoDB_20120810.GetItem' } });
const saturdayNight = call('s3:GetObject', { time: '2026-03-07T23:30:00Z' });

describe('compileCondition + evaluate', () => {
  it.each([
    ['size(identity.chain) > 2', nested, true],
    ['size(identity.chain) > 2', wednesday, false],
    ["identity.initiator == 'alice'", nested, true],
    ["identity.initiator == 'alice'", wednesday, false],
    ["aws.region.startsWith('eu-')", nested, true],
    ["aws.region.startsWith('eu-')", wednesday, false],
    ["identity.chain.exists(a, a.type == 'Agent' && a.name == 'sweeper')", nested, true],
    ["identity.chain[1].name == 'agents/planner'", nested, true],
    ["aws.operation == 's3:DeleteObject' && aws.resources.all(r, r.startsWith('arn:aws:s3:::b/'))", nested, true],
    ['time.getHours() == 10', wednesday, true],
    ["time.getHours('Europe/Berlin') == 11", wednesday, true],
    ["time.getHours('+05:30') == 15 && time.getMinutes('+05:30') == 30", wednesday, true],
    ['time.getDayOfWeek() == 3', wednesday, true],
    ["time.getDayOfWeek('Europe/Berlin') in [0, 6]", saturdayNight, true],
    ["time.getDayOfWeek('Europe/Berlin') in [0, 6]", wednesday, false],
    ["time.getDayOfWeek('America/New_York') == 6 && time.getHours('America/New_York') == 18", saturdayNight, true],
    ["time.getDayOfWeek('Asia/Tokyo') == 0", saturdayNight, true],
    ["time > timestamp('2026-01-01T00:00:00Z') && time < timestamp('2026-12-31T00:00:00Z')", wednesday, true],
    ["time - timestamp('2026-03-04T09:00:00Z') == duration('1h')", wednesday, true],
    ['request.params.MaxKeys > 50', wednesday, true],
    ["request.params.Tags.exists(t, t.Key == 'env' && t.Value == 'prod')", wednesday, true],
    ["request.headers['x-amz-target'].endsWith('.GetItem')", wednesday, true],
    ["'x-amz-target' in request.headers", wednesday, true],
    ["identity.pod == '' && identity.namespace == '' && aws.account == ''", wednesday, true],
    ["identity.initiator.lowerAscii().split('@')[0] == 'bob'", wednesday, true],
    ["aws.resources == ['*']", wednesday, true],
    ["has(request.params.Bucket) && request.params.Bucket == 'b'", wednesday, true],
    ["has(request.params.Nope) && request.params.Nope == 'b'", wednesday, false],
    ["!('Nope' in request.params)", wednesday, true],
  ])('%s', (src, req, expected) => {
    expect(compiled(src).evaluate(celBindings(req))).toBe(expected);
  });

  it('returns an error instead of throwing at run time', () => {
    const bindings = celBindings(wednesday);
    expect(compiled("request.params.Missing == 'x'").evaluate(bindings)).toBeInstanceOf(Error);
    expect(compiled("time.getHours('Not/AZone') == 1").evaluate(bindings)).toBeInstanceOf(Error);
    expect(compiled('request.params.Bucket').evaluate(bindings)).toBeInstanceOf(Error);
    expect(compiled('1 / (size(aws.resources) - 1) == 0').evaluate(bindings)).toBeInstanceOf(Error);
  });
});

describe('compileCondition type errors', () => {
  it.each([
    ["identiy.initiator == 'a'", "undeclared reference to 'identiy'"],
    ["identity.initator == 'alice'", "undefined field 'initator' of identity"],
    ["identity.chain.exists(a, a.typ == 'Agent')", "undefined field 'typ' of actor"],
    ["aws.regoin == 'eu-west-1'", "undefined field 'regoin' of aws"],
    ['identity.initiator', 'must evaluate to bool, not string'],
    ['size(identity.chain)', 'must evaluate to bool, not int'],
    ["size(identity.chain) > '2'", "no matching overload for '_>_'"],
    ["size(identity.chain) == '2'", 'int == string is never true'],
    ['identity.initiator.startsWith(1)', "no matching overload for 'startsWith'"],
    ["nosuch(identity.initiator) == 'x'", "undeclared reference to function 'nosuch'"],
    ['identity.initiator.nosuch()', "undeclared reference to method 'nosuch'"],
    ["identity.initiator == 'a", 'syntax error'],
    ['time.getHours() > 25 &&', 'syntax error'],
    ["identity.initiator && true", '&& needs bool operands, not string'],
    ["time == 'now'", 'timestamp == string is never true'],
    ['aws.resources.exists(r, r > 1)', "no matching overload for '_>_'"],
    ["google.protobuf.Duration{seconds: 1} == duration('1s')", 'message construction'],
    ['[1].all(a, [1].all(b, [1].all(c, [1].all(d, true))))', 'comprehensions nest at most 3 deep'],
  ])('%s → %s', (src, message) => {
    const c = compileCondition(src);
    expect(typeof c).toBe('string');
    expect(c).toContain(message);
  });

  it('names the column', () => {
    expect(compileCondition("identity.initiator == 'a' && identiy.pod == ''")).toMatch(/\(column 30\)$/);
  });
});

describe('conditions inside PolicySet: failures close, never open', () => {
  const p = policy('cel', {
    defaultAction: 'Allow',
    rules: [
      { name: 'allow-if-bucket', action: 'Allow', operations: ['s3:GetObject'], when: "request.params.Bucket == 'public'" },
      { name: 'deny-if-prod', action: 'Deny', operations: ['s3:PutObject'], when: "request.params.Env == 'prod'" },
      { name: 'hold-if-big', action: 'RequireApproval', operations: ['s3:DeleteObjects'], when: 'size(request.params.Delete.Objects) > 10' },
    ],
  });
  const s = PolicySet.of([p]);
  it('an Allow rule whose condition fails does not match', () => {
    expect(s.evaluate(call('s3:GetObject', { params: {} }))).toMatchObject({ action: 'Allow', reason: 'default' });
  });
  it('a Deny rule whose condition fails matches, and the message says why', () => {
    const d = s.evaluate(call('s3:PutObject', { params: {} }));
    expect(d).toMatchObject({ action: 'Deny', rule: 'deny-if-prod', reason: 'rule' });
    expect(d.message).toMatch(/^denied by GatewayPolicy agents\/cel rule deny-if-prod \(condition could not be evaluated: .+; treated as matching\)$/);
    expect(s.evaluate(call('s3:PutObject', { params: { Env: 'dev' } }))).toMatchObject({ action: 'Allow', reason: 'default' });
  });
  it('a RequireApproval rule whose condition fails matches', () => {
    expect(s.evaluate(call('s3:DeleteObjects', { params: {} }))).toMatchObject({ action: 'RequireApproval', rule: 'hold-if-big' });
    expect(s.evaluate(call('s3:DeleteObjects', { params: { Delete: { Objects: [1, 2] } } }))).toMatchObject({ action: 'Allow', reason: 'default' });
  });
  it('odd params (undefined, Date, Buffer, NaN, deep nesting) bind without throwing', () => {
    let deep: Record<string, unknown> = { v: 1 };
    for (let i = 0; i < 20; i++) deep = { d: deep };
    const params = { u: undefined, d: new Date(0), b: Buffer.from('x'), n: Number.NaN, big: 10n, deep, list: [undefined, null] };
    expect(() => s.evaluate(call('s3:PutObject', { params }))).not.toThrow();
    expect(compiled("request.params.d == '1970-01-01T00:00:00.000Z' && request.params.n == 'NaN'").evaluate(celBindings(call('x:Y', { params })))).toBe(true);
  });
});
