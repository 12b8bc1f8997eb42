/**
 * What the sidecar records: one `aws.call` event per call in its session's
 * hash chain, with the operation, resources, status and AWS request id;
 * sessions that start, nest and end; refusals; and no secret in any event.
 * Real clients (the JS SDK v3 with its container-credentials provider)
 * against moto with IAM auth; events are read from the transport the
 * sidecar wrote them to (the spool, JetStream and the store have tests of
 * their own).
 */
import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import { fromHttp } from '@aws-sdk/credential-providers';
import { S3Client, CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SecretsManagerClient, CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { STSClient, GetSessionTokenCommand } from '@aws-sdk/client-sts';
import { IAMClient, CreateAccessKeyCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { verifyChain, type AuditEvent, type AwsCallEvent } from '@agentrail/core';
import { signedCall } from './support/agent-calls.js';
import { delegate, delegationsUrl, fetchAgentCredentials } from './support/container-credentials.js';
import { startMoto, type Moto } from './support/moto.js';
import { sendRaw } from './support/raw-http.js';
import { startSidecar, type RunningSidecar } from './fixtures/sidecar-fixture.js';

jest.setTimeout(120_000);

let moto: Moto;
let sidecar: RunningSidecar;

beforeAll(async () => {
  moto = await startMoto();
  sidecar = await startSidecar(moto.endpoint, moto);
});

afterAll(async () => {
  await sidecar?.stop();
  await moto?.stop();
});

function sdk(token = sidecar.endpoints.rootToken) {
  const { credentialsUrl, explicitUrl } = sidecar.endpoints;
  return { region: 'us-east-1', endpoint: explicitUrl, maxAttempts: 1, credentials: fromHttp({ awsContainerCredentialsFullUri: credentialsUrl, awsContainerAuthorizationToken: token }) };
}

function callsSince(mark: number): AwsCallEvent[] {
  return sidecar.audit.events.slice(mark).filter((e): e is AwsCallEvent => e.type === 'aws.call');
}

function sessionEvents(id: string): AuditEvent[] {
  return sidecar.audit.events.filter((e) => e.session.id === id);
}

describe('aws.call events', () => {
  it('one per call, in order, with operation, resources, status, AWS request id and an intact chain', async () => {
    const mark = sidecar.audit.events.length;
    const s3 = new S3Client({ ...sdk(), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'audit-trail' }));
    await s3.send(new PutObjectCommand({ Bucket: 'audit-trail', Key: 'reports/q3.txt', Body: 'revenue up' }));
    await s3.send(new GetObjectCommand({ Bucket: 'audit-trail', Key: 'reports/q3.txt' }));
    const calls = callsSince(mark);
    expect(calls.map((c) => c.aws.operation)).toEqual(['s3:CreateBucket', 's3:PutObject', 's3:GetObject']);
    const [, put, get] = calls as [AwsCallEvent, AwsCallEvent, AwsCallEvent];
    expect(get.aws.resources).toContain('arn:aws:s3:::audit-trail/reports/q3.txt');
    expect(get.response).toMatchObject({ status: 200, from: 'upstream', bytes: 'revenue up'.length });
    expect(get.aws.requestId).toEqual(expect.any(String));
    // Endpoint mode names no host: the trail records where the call was forwarded.
    expect(get.aws.host).toBe(new URL(moto.endpoint).host);
    expect(put.request).toMatchObject({ method: 'PUT', path: '/audit-trail/reports/q3.txt' });
    // Object data is never excerpted: it may hold anything.
    expect(JSON.stringify(get)).not.toContain('revenue up');
    for (const c of calls) {
      expect(c.session.id).toBe(sidecar.endpoints.rootSession.id);
      expect(c.initiator).toBe('alice@example.com');
      expect(c.chain).toEqual([{ type: 'User', name: 'alice@example.com' }]);
      expect(c.decision).toMatchObject({ action: 'Allow' });
      expect(c.source.userAgent).toMatch(/aws-sdk-js/);
    }
    const root = sessionEvents(sidecar.endpoints.rootSession.id);
    expect(root[0]?.type).toBe('session.started');
    expect(root.map((e) => e.session.seq)).toEqual(root.map((_e, i) => i + 1));
    expect(verifyChain(root)).toEqual([]);
  });

  it("an AWS error is recorded with the service's code and message", async () => {
    const mark = sidecar.audit.events.length;
    const s3 = new S3Client({ ...sdk(), forcePathStyle: true });
    await expect(s3.send(new GetObjectCommand({ Bucket: 'audit-trail', Key: 'missing' }))).rejects.toMatchObject({ name: 'NoSuchKey' });
    const [call] = callsSince(mark);
    expect(call?.response).toMatchObject({ status: 404, errorCode: 'NoSuchKey', from: 'upstream' });
  });

  it('a call refused for its signature is a Deny (authentication) in the session its key names, answered by the gateway', async () => {
    const mark = sidecar.audit.events.length;
    const creds = await fetchAgentCredentials(sidecar.endpoints.credentialsUrl, sidecar.endpoints.rootToken);
    const base = sidecar.endpoints.explicitUrl;
    const forged = await signedCall(base, { ...creds, secretAccessKey: 'not-the-secret' }, { service: 's3', method: 'GET', path: '/audit-trail' });
    expect((await sendRaw(base, forged)).status).toBe(403);
    const unknown = await signedCall(base, { ...creds, accessKeyId: 'ASIAAGRLUNKNOWNKEY00' }, { service: 's3', method: 'GET', path: '/audit-trail' });
    expect((await sendRaw(base, unknown)).status).toBe(403);
    const [bad, stranger] = callsSince(mark);
    expect(bad).toMatchObject({ decision: { action: 'Deny', reason: 'authentication' }, response: { status: 403, errorCode: 'SignatureDoesNotMatch', from: 'gateway' } });
    expect(bad?.session.id).toBe(sidecar.endpoints.rootSession.id);
    // An unknown key names no session: the call is kept in the sidecar's root session.
    expect(stranger).toMatchObject({ decision: { action: 'Deny' }, response: { errorCode: 'InvalidAccessKeyId' } });
  });
});

describe('secrets never reach the trail', () => {
  it('Secrets Manager values, STS and IAM credentials are masked in every event', async () => {
    const mark = sidecar.audit.events.length;
    const secret = `pw-${randomBytes(16).toString('hex')}`;
    const sm = new SecretsManagerClient(sdk());
    await sm.send(new CreateSecretCommand({ Name: 'audit/db', SecretString: secret }));
    const got = await sm.send(new GetSecretValueCommand({ SecretId: 'audit/db' }));
    expect(got.SecretString).toBe(secret); // the agent still gets it: masking is for the trail
    const sts = await new STSClient(sdk()).send(new GetSessionTokenCommand({}));
    const iam = new IAMClient(sdk());
    await iam.send(new CreateUserCommand({ UserName: 'audit-key-holder' }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'audit-key-holder' }));
    const agentCreds = await fetchAgentCredentials(sidecar.endpoints.credentialsUrl, sidecar.endpoints.rootToken);

    const trail = JSON.stringify(sidecar.audit.events.slice(mark));
    for (const value of [secret, sts.Credentials?.SecretAccessKey, sts.Credentials?.SessionToken, key.AccessKey?.SecretAccessKey, agentCreds.secretAccessKey, agentCreds.sessionToken, moto.secretAccessKey]) {
      expect(value).toEqual(expect.any(String));
      expect(trail).not.toContain(value as string);
    }
    const calls = callsSince(mark);
    const getSecret = calls.find((c) => c.aws.operation === 'secretsmanager:GetSecretValue');
    expect(getSecret?.masking?.fields.join(' ')).toMatch(/SecretString/);
    expect(getSecret?.response.body?.text).toContain('audit/db'); // the context stays readable
  });
});

describe('sessions', () => {
  it('a delegation starts a child session in the tree; ending it revokes its keys and closes its chain', async () => {
    const child = await delegate(sidecar.endpoints.credentialsUrl, sidecar.endpoints.rootToken, 'researcher');
    const grandchild = await delegate(sidecar.endpoints.credentialsUrl, child.token, 's3-cleanup');
    const s3 = new S3Client({ ...sdk(grandchild.token), forcePathStyle: true });
    await s3.send(new PutObjectCommand({ Bucket: 'audit-trail', Key: 'nested', Body: 'x' }));

    const started = sessionEvents(grandchild.session)[0];
    expect(started).toMatchObject({ type: 'session.started', session: { parent: child.session, seq: 1 } });
    expect(started?.chain).toEqual([
      { type: 'User', name: 'alice@example.com' }, { type: 'Agent', name: 'researcher' }, { type: 'Agent', name: 's3-cleanup' },
    ]);
    const creds = await fetchAgentCredentials(sidecar.endpoints.credentialsUrl, grandchild.token);
    const res = await fetch(delegationsUrl(sidecar.endpoints.credentialsUrl), { method: 'DELETE', headers: { authorization: child.token } });
    expect(res.status).toBe(204);
    // Ending the child ends its descendants too.
    for (const id of [child.session, grandchild.session]) {
      const events = sessionEvents(id);
      expect(events.at(-1)?.type).toBe('session.ended');
      expect(verifyChain(events)).toEqual([]);
    }
    const base = sidecar.endpoints.explicitUrl;
    const after = await sendRaw(base, await signedCall(base, creds, { service: 's3', method: 'GET', path: '/audit-trail' }));
    expect(after.status).toBe(403);
    expect(after.body.toString()).toContain('InvalidAccessKeyId');
  });

  it('the root session cannot be ended by its agent', async () => {
    const res = await fetch(delegationsUrl(sidecar.endpoints.credentialsUrl), { method: 'DELETE', headers: { authorization: sidecar.endpoints.rootToken } });
    expect(res.status).toBe(400);
  });
});

describe('when the trail cannot be kept', () => {
  it('fails closed: calls get the service\'s 503 and never reach AWS, until the trail accepts events again', async () => {
    const s3 = new S3Client({ ...sdk(), forcePathStyle: true });
    const before = moto.requests();
    sidecar.audit.full = true;
    try {
      await expect(s3.send(new PutObjectCommand({ Bucket: 'audit-trail', Key: 'refused', Body: 'x' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 503 } });
      const ready = await fetch(`${sidecar.endpoints.opsUrl}/readyz`);
      expect(ready.status).toBe(503);
    } finally {
      sidecar.audit.full = false;
    }
    expect(moto.requests()).toBe(before);
    const mark = sidecar.audit.events.length;
    await s3.send(new PutObjectCommand({ Bucket: 'audit-trail', Key: 'accepted', Body: 'x' }));
    // The refused call's own event could not be kept either: the gap is recorded first.
    const next = sidecar.audit.events.slice(mark);
    expect(next.map((e) => e.type)).toEqual(['audit.degraded', 'aws.call']);
    expect(next[0]).toMatchObject({ unrecordedCalls: 1 });
    expect(verifyChain(sessionEvents(sidecar.endpoints.rootSession.id))).toEqual([]);
  });
});

describe('fail-open mode and shutdown', () => {
  it('lets calls through while the trail is full, records the gap, and ends every session when stopped', async () => {
    const open = await startSidecar(moto.endpoint, moto, { 'audit.failMode': 'open' });
    try {
      const s3 = new S3Client({ region: 'us-east-1', endpoint: open.endpoints.explicitUrl, forcePathStyle: true, maxAttempts: 1, credentials: fromHttp({ awsContainerCredentialsFullUri: open.endpoints.credentialsUrl, awsContainerAuthorizationToken: open.endpoints.rootToken }) });
      open.audit.full = true;
      await s3.send(new PutObjectCommand({ Bucket: 'audit-trail', Key: 'fail-open-1', Body: 'x' }));
      await s3.send(new PutObjectCommand({ Bucket: 'audit-trail', Key: 'fail-open-2', Body: 'x' }));
      open.audit.full = false;
      await s3.send(new PutObjectCommand({ Bucket: 'audit-trail', Key: 'fail-open-3', Body: 'x' }));
      const types = open.audit.events.map((e) => e.type);
      expect(types).toEqual(['session.started', 'audit.degraded', 'aws.call']);
      expect(open.audit.events[1]).toMatchObject({ unrecordedCalls: 2, reason: expect.stringMatching(/fail-open/) });
    } finally {
      await open.stop();
    }
    const last = open.audit.events.at(-1);
    expect(last).toMatchObject({ type: 'session.ended', reason: 'sidecar stopped', session: { id: open.endpoints.rootSession.id } });
    expect(verifyChain(open.audit.events)).toEqual([]);
  });
});
