import { SessionChainer, maskBody, type AuditEvent, type AwsCallEvent, type UnsealedEvent } from '@agentrail/core';
import { activityIdOf } from './ocsf-activity.js';
import { toOcsfApiActivity } from './ocsf.js';

const chain = [
  { type: 'User' as const, name: 'alice@example.com' },
  { type: 'Pod' as const, name: 'agents/planner' },
  { type: 'Agent' as const, name: 's3-cleanup' },
];
const base = {
  v: 1 as const, time: '2025-06-01T12:00:00.123Z', initiator: 'alice@example.com', chain,
  source: { cluster: 'prod', namespace: 'agents', pod: 'planner-7d9f', uid: 'pod-uid-1', userAgent: 'aws-cli/2.15.0' },
};

function call(over: Partial<UnsealedEvent<AwsCallEvent>> = {}): AwsCallEvent {
  const body = Buffer.from(JSON.stringify({ Name: 'db', SecretString: 'hunter2-secret' }));
  const masked = maskBody({ operation: 'secretsmanager:GetSecretValue', protocol: 'json', direction: 'response', body, totalBytes: body.length, maxBytes: 4096 });
  const event: UnsealedEvent<AwsCallEvent> = {
    ...base, id: '01JX0000000000000000000001', type: 'aws.call', session: { id: 'sess_1', parent: 'sess_0' },
    aws: {
      service: 'secretsmanager', operation: 'secretsmanager:GetSecretValue', region: 'us-east-1', host: 'secretsmanager.us-east-1.amazonaws.com',
      resources: ['arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf'], account: '123456789012', roleArn: 'arn:aws:iam::123456789012:role/agents',
      requestId: 'req-1',
    },
    request: { method: 'POST', path: '/', query: { 'X-Amz-Security-Token': '***', tag: ['a', 'b'] } },
    response: { status: 200, bytes: body.length, latencyMs: 12.6, from: 'upstream', body: masked.excerpt },
    decision: { action: 'Allow', policy: 'agents/research', rule: 'read-secrets' },
    masking: { fields: masked.maskedFields.map((f) => `response.${f}`) },
    ...over,
  };
  return new SessionChainer().seal(event);
}

describe('toOcsfApiActivity', () => {
  test('an allowed call: class, activity, API, actor, endpoints, cloud, metadata', () => {
    const o = toOcsfApiActivity(call());
    expect(o).toMatchObject({
      class_uid: 6003, category_uid: 6, activity_id: 2, activity_name: 'Read', type_uid: 600302, type_name: 'API Activity: Read',
      time: Date.parse('2025-06-01T12:00:00.123Z'), duration: 13, status_id: 1, status: 'Success', severity_id: 1,
      metadata: { version: '1.1.0', product: { name: 'AgentRail', vendor_name: 'AgentRail' }, uid: '01JX0000000000000000000001', correlation_uid: 'sess_1', sequence: 1 },
      api: { operation: 'GetSecretValue', service: { name: 'secretsmanager' }, request: { uid: 'req-1' }, response: { code: 200 } },
      actor: {
        user: { name: 'alice@example.com' }, session: { uid: 'sess_1', issuer: 'arn:aws:iam::123456789012:role/agents' }, app_name: 's3-cleanup',
        invoked_by: 'User alice@example.com → Pod agents/planner → Agent s3-cleanup',
        authorizations: [{ decision: 'Allow', policy: { name: 'agents/research', uid: 'agents/research/read-secrets' } }],
      },
      src_endpoint: { name: 'agents/planner-7d9f', uid: 'pod-uid-1' },
      dst_endpoint: { hostname: 'secretsmanager.us-east-1.amazonaws.com', svc_name: 'secretsmanager' },
      http_request: { http_method: 'POST', url: { hostname: 'secretsmanager.us-east-1.amazonaws.com', path: '/', query_string: 'X-Amz-Security-Token=***&tag=a&tag=b' }, user_agent: 'aws-cli/2.15.0' },
      http_response: { code: 200 },
      resources: [{ uid: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf' }],
      cloud: { provider: 'AWS', region: 'us-east-1', account: { uid: '123456789012' } },
    });
    expect(o?.message).toBe('secretsmanager:GetSecretValue allowed by agents/research/read-secrets, HTTP 200');
  });

  test('chain, decision and hash chain go under unmapped; masked bodies stay masked', () => {
    const e = call();
    const o = toOcsfApiActivity(e);
    expect(o?.unmapped).toMatchObject({ chain, decision: e.decision, session: e.session, response_from: 'upstream', masking: { fields: ['response.SecretString'] } });
    expect(JSON.stringify(o)).not.toContain('hunter2');
  });

  test('a gateway denial: failure, medium severity, the AWS error', () => {
    const o = toOcsfApiActivity(call({
      aws: { service: 's3', operation: 's3:DeleteObject', region: 'us-east-1', host: 'b.s3.us-east-1.amazonaws.com', resources: ['*'] },
      response: { status: 403, errorCode: 'AccessDenied', errorMessage: 'denied by AgentRail policy', bytes: 200, latencyMs: 0.3, from: 'gateway' },
      decision: { action: 'Deny', reason: 'default' },
    }));
    expect(o).toMatchObject({
      activity_id: 4, type_uid: 600304, status_id: 2, status: 'Failure', severity_id: 3, status_code: 'AccessDenied', status_detail: 'denied by AgentRail policy',
      api: { operation: 'DeleteObject', response: { code: 403, error: 'AccessDenied', error_message: 'denied by AgentRail policy' } },
      actor: { authorizations: [{ decision: 'Deny' }] }, resources: [],
    });
    expect(o?.api.request).toBeUndefined();
    expect(o?.message).toBe('s3:DeleteObject denied, HTTP 403');
  });

  test('an AWS error on an allowed call is a low-severity failure', () => {
    expect(toOcsfApiActivity(call({ response: { status: 404, errorCode: 'ResourceNotFoundException', bytes: 90, latencyMs: 3, from: 'upstream' } })))
      .toMatchObject({ status_id: 2, severity_id: 2 });
  });

  test('other event types are not API activity', () => {
    const started = new SessionChainer().seal({ ...base, id: '01JX0000000000000000000002', type: 'session.started', session: { id: 's' } } as UnsealedEvent);
    expect(toOcsfApiActivity(started as AuditEvent)).toBeUndefined();
  });
});

describe('activityIdOf', () => {
  test.each([
    ['s3:GetObject', 2], ['ec2:DescribeInstances', 2], ['s3:ListObjectsV2', 2], ['s3:HeadObject', 2], ['dynamodb:Query', 2], ['dynamodb:BatchGetItem', 2],
    ['iam:CreateUser', 1], ['ec2:RunInstances', 1], ['ecr:BatchDeleteImage', 4], ['ec2:TerminateInstances', 4], ['s3:DeleteObject', 4],
    ['s3:PutObject', 3], ['iam:AttachRolePolicy', 3], ['ec2:ModifyInstanceAttribute', 3], ['lambda:UpdateFunctionCode', 3], ['s3:PutBucketTagging', 3],
    ['sts:AssumeRole', 99], ['kms:Decrypt', 99], ['lambda:Invoke', 99], ['sqs:SendMessage', 99], ['dynamodb:BatchWriteItem', 99],
    ['x:Unknown', 0], ['GetObject', 2],
  ])('%s → %i', (operation, id) => {
    expect(activityIdOf(operation)).toBe(id);
  });
});
