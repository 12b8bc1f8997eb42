import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { AuditDegradedEvent, AuditEvent, AwsCallEvent, SessionEndedEvent, SessionStartedEvent, UnsealedEvent } from './audit-event.js';
import { SessionChainer } from './hash-chain.js';
import { maskBody, maskQuery } from './secret-masking.js';
import { UlidFactory } from './ulid.js';

/**
 * The JSON schema is the contract for consumers outside this repository; these
 * tests validate events built the way the sidecar builds them (SessionChainer,
 * maskBody) against it, and check that it refuses what the types refuse.
 */

const schema = JSON.parse(readFileSync(new URL('../../schemas/audit-event.v1.json', import.meta.url), 'utf8')) as object;
// strictRequired would refuse `required` inside if/then for members declared at the root, which is the point of those branches.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
// ajv-formats is not a dependency: RFC 3339 date-time, checked the simple way.
ajv.addFormat('date-time', { type: 'string', validate: (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)) });
const validate = ajv.compile(schema);

const ids = new UlidFactory(() => Date.UTC(2025, 5, 1, 12, 0, 0));
const base = {
  v: 1 as const,
  time: '2025-06-01T12:00:00.000Z',
  initiator: 'alice@example.com',
  chain: [{ type: 'User' as const, name: 'alice@example.com' }, { type: 'Pod' as const, name: 'agents/planner' }, { type: 'Agent' as const, name: 's3-cleanup' }],
  source: { cluster: 'prod', namespace: 'agents', pod: 'planner-7d9f', uid: '0f2c7a1e-1111-2222-3333-444455556666', userAgent: 'aws-cli/2.15.0' },
};

function events(): AuditEvent[] {
  const chainer = new SessionChainer();
  const session = { id: 'sess_01J0ABCDEF', parent: 'sess_01J0PARENT' };
  const started: UnsealedEvent<SessionStartedEvent> = { ...base, id: ids.next(), type: 'session.started', session };
  const body = Buffer.from(JSON.stringify({ Name: 'db', SecretString: 'hunter2' }));
  const masked = maskBody({ operation: 'secretsmanager:GetSecretValue', protocol: 'json', direction: 'response', contentType: 'application/x-amz-json-1.1', body, totalBytes: body.length, maxBytes: 20 });
  const query = maskQuery([['X-Amz-Security-Token', 'FwoGZXIvYXdzEXAMPLE'], ['tag', 'a'], ['tag', 'b']]);
  const call: UnsealedEvent<AwsCallEvent> = {
    ...base, id: ids.next(), type: 'aws.call', session,
    aws: {
      service: 'secretsmanager', operation: 'secretsmanager:GetSecretValue', region: 'us-east-1', host: 'secretsmanager.us-east-1.amazonaws.com',
      resources: ['arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf'], account: '123456789012',
      roleArn: 'arn:aws:iam::123456789012:role/agents', sourceIdentity: 'alice@example.com', requestId: '7a62c49f-347e-4fc4-9331-6e8eEXAMPLE',
    },
    request: { method: 'POST', path: '/', query: query.query, bytes: 40, body: { contentType: 'application/x-amz-json-1.1', bytes: 40, truncated: false, text: '{"SecretId":"db"}' } },
    response: { status: 200, bytes: body.length, latencyMs: 12.5, body: masked.excerpt, from: 'upstream' },
    decision: { action: 'Allow', policy: 'agents/research', rule: 'read-secrets' },
    masking: { fields: [...masked.maskedFields.map((f) => `response.${f}`), ...query.maskedFields.map((f) => `request.query.${f}`)] },
  };
  const denied: UnsealedEvent<AwsCallEvent> = {
    ...base, id: ids.next(), type: 'aws.call', session,
    aws: { service: 's3', operation: 's3:DeleteObject', region: 'us-east-1', host: 'b.s3.amazonaws.com', resources: ['*'] },
    request: { method: 'DELETE', path: '/k', body: { bytes: 0, truncated: false, omitted: 'disabled' } },
    response: { status: 403, errorCode: 'AccessDenied', errorMessage: 'denied by AgentRail', bytes: 240, latencyMs: 0.2, from: 'gateway', body: { bytes: 240, truncated: false, omitted: 'binary' } },
    decision: { action: 'Deny', reason: 'default', message: 'no rule allows s3:DeleteObject' },
  };
  const degraded: UnsealedEvent<AuditDegradedEvent> = {
    ...base, id: ids.next(), type: 'audit.degraded', session, unrecordedCalls: 3, since: '2025-06-01T11:59:00.000Z', until: '2025-06-01T12:00:00.000Z', reason: 'spool full',
  };
  const ended: UnsealedEvent<SessionEndedEvent> = { ...base, id: ids.next(), type: 'session.ended', session, reason: 'pod deleted' };
  return [chainer.seal(started), chainer.seal(call), chainer.seal(denied), chainer.seal(degraded), chainer.seal(ended)];
}

const all = events();
const clone = <T>(e: T): T => structuredClone(e);
const errorsOf = (): string => JSON.stringify(validate.errors ?? [], null, 1);

describe('audit-event.v1.json', () => {
  test.each(all.map((e) => [e.type, e] as const))('a sealed %s event is valid', (_type, event) => {
    expect(validate(event) ? '' : errorsOf()).toBe('');
  });

  test('a root session (no parent) and a call with no resources are valid', () => {
    const e = clone(all[0] as SessionStartedEvent);
    delete e.session.parent;
    expect(validate(e)).toBe(true);
    const call = clone(all[2] as AwsCallEvent);
    call.aws.resources = [];
    expect(validate(call)).toBe(true);
  });

  const required: Array<[AuditEvent['type'], string]> = [
    ...['v', 'id', 'time', 'type', 'session', 'initiator', 'chain', 'source'].map((f) => ['session.started', f] as [AuditEvent['type'], string]),
    ...['session.id', 'session.seq', 'session.prevHash', 'session.hash', 'chain.0.type', 'chain.0.name'].map((f) => ['session.started', f] as [AuditEvent['type'], string]),
    ...['aws', 'request', 'response', 'decision', 'aws.service', 'aws.operation', 'aws.region', 'aws.host', 'aws.resources', 'request.method', 'request.path',
      'response.status', 'response.bytes', 'response.latencyMs', 'response.from', 'decision.action', 'response.body.bytes', 'response.body.truncated', 'masking.fields',
    ].map((f) => ['aws.call', f] as [AuditEvent['type'], string]),
    ['session.ended', 'reason'],
    ...['unrecordedCalls', 'since', 'until', 'reason'].map((f) => ['audit.degraded', f] as [AuditEvent['type'], string]),
  ];

  test.each(required)('%s without %s is invalid', (type, path) => {
    const e = clone(all.find((x) => x.type === type) as AuditEvent) as unknown as Record<string, unknown>;
    const keys = path.split('.');
    const last = keys.pop() as string;
    const parent = keys.reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, e);
    delete parent[last];
    expect(validate(e)).toBe(false);
  });

  test.each([
    ['an unknown member', (e: Record<string, unknown>) => { e.extra = 1; }],
    ['a call member on a session event', (e: Record<string, unknown>) => { e.aws = (all[1] as AwsCallEvent).aws; }],
    ['a bad hash', (e: Record<string, unknown>) => { (e.session as Record<string, unknown>).hash = 'XYZ'; }],
    ['a bad ULID', (e: Record<string, unknown>) => { e.id = 'not-a-ulid'; }],
    ['a time without milliseconds', (e: Record<string, unknown>) => { e.time = '2025-06-01T12:00:00Z'; }],
    ['seq 0', (e: Record<string, unknown>) => { (e.session as Record<string, unknown>).seq = 0; }],
    ['an unknown actor type', (e: Record<string, unknown>) => { e.chain = [{ type: 'Robot', name: 'x' }]; }],
    ['an empty chain', (e: Record<string, unknown>) => { e.chain = []; }],
    ['v 2', (e: Record<string, unknown>) => { e.v = 2; }],
  ])('%s is invalid', (_name, edit) => {
    const e = clone(all[0]) as unknown as Record<string, unknown>;
    edit(e);
    expect(validate(e)).toBe(false);
  });

  test.each([
    ['an unknown omission reason', (e: AwsCallEvent) => { (e.request.body as { omitted?: string }).omitted = 'lost'; }],
    ['a decision outside Allow/Deny/RequireApproval', (e: AwsCallEvent) => { (e.decision as { action: string }).action = 'Maybe'; }],
    ['a response from elsewhere', (e: AwsCallEvent) => { (e.response as { from: string }).from = 'cache'; }],
    ['a session.ended member on a call', (e: AwsCallEvent) => { (e as unknown as Record<string, unknown>).reason = 'x'; }],
  ])('a call with %s is invalid', (_name, edit) => {
    const e = clone(all[2] as AwsCallEvent);
    edit(e);
    expect(validate(e)).toBe(false);
  });
});
