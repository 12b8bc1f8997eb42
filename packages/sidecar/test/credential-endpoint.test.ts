/**
 * The container-credentials endpoint as agents and their SDKs use it: tokens,
 * ephemeral credentials, delegation to child sessions (whose chain grows by
 * one agent per level) — and what happens to calls once credentials expire.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import { fromHttp } from '@aws-sdk/credential-providers';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Agent } from 'undici';
import { PolicySet, createLogger } from '@agentrail/core';
import { SessionRegistry } from '@agentrail/sidecar';
import { AwsRequestHandler } from '../src/proxy/aws-request-handler.js';
import { UpstreamCredentials } from '../src/proxy/upstream-credentials.js';
import { SidecarMetrics } from '../src/ops/sidecar-metrics.js';
import { dynamoDbCall, signedCall } from './support/agent-calls.js';
import { delegate, delegationsUrl, fetchAgentCredentials } from './support/container-credentials.js';
import { metricSum, scrape } from './support/prometheus-text.js';
import { sendRaw } from './support/raw-http.js';
import { startSigV4Upstream, type SigV4Upstream } from './support/sigv4-upstream.js';
import { startSidecar, type RunningSidecar } from './fixtures/sidecar-fixture.js';
import { AuditRecorder } from '../src/audit/audit-recorder.js';
import { PolicyGate } from '../src/proxy/policy-gate.js';
import { RoleCredentials } from '../src/proxy/role-credentials.js';
import { MemoryAuditTransport } from './support/memory-audit-transport.js';

jest.setTimeout(30_000);

const UPSTREAM_KEYS = { accessKeyId: 'AKIAUPSTREAMCREDS001', secretAccessKey: 'upstream-secret-creds' };

let upstream: SigV4Upstream;
let sidecar: RunningSidecar;
let credentialsUrl: string;

beforeAll(async () => {
  upstream = await startSigV4Upstream({ ...UPSTREAM_KEYS, minChunkBytes: 0 });
  sidecar = await startSidecar(upstream.endpoint, UPSTREAM_KEYS);
  credentialsUrl = sidecar.endpoints.credentialsUrl;
});

afterAll(async () => {
  await sidecar?.stop();
  await upstream?.stop();
});

const REQUESTS = 'agentrail_sidecar_credential_requests_total';

async function getJson(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> };
}

function postDelegation(token: string | undefined, body: string): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  return getJson(delegationsUrl(credentialsUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: token }) },
    body,
  });
}

/** A signed S3 PUT through the sidecar with `creds`; the upstream stores what arrives. */
async function putThroughSidecar(creds: { accessKeyId: string; secretAccessKey: string; sessionToken: string }, key: string): Promise<number> {
  const base = sidecar.endpoints.explicitUrl;
  const res = await sendRaw(base, await signedCall(base, creds, { service: 's3', method: 'PUT', path: `/creds/${key}`, body: key }));
  return res.status;
}

describe('GET /v1/credentials', () => {
  it('401 without a token, 403 with a wrong one, both counted', async () => {
    const text = await scrape(sidecar.endpoints.opsUrl);
    const none = await getJson(credentialsUrl);
    expect(none.status).toBe(401);
    expect(none.body['code']).toBe('Unauthorized');
    const wrong = await getJson(credentialsUrl, { headers: { authorization: 'not-the-token' } });
    expect(wrong.status).toBe(403);
    expect(wrong.body['code']).toBe('Forbidden');
    expect(JSON.stringify(wrong.body)).not.toContain('AccessKeyId');
    const after = await scrape(sidecar.endpoints.opsUrl);
    expect(metricSum(after, REQUESTS, { outcome: 'unauthenticated' }) - metricSum(text, REQUESTS, { outcome: 'unauthenticated' })).toBe(1);
    expect(metricSum(after, REQUESTS, { outcome: 'forbidden' }) - metricSum(text, REQUESTS, { outcome: 'forbidden' })).toBe(1);
  });

  it('returns the session’s AccessKeyId, SecretAccessKey, Token and Expiration, uncached', async () => {
    const started = Date.now();
    const res = await getJson(credentialsUrl, { headers: { authorization: sidecar.endpoints.rootToken } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual(['AccessKeyId', 'Expiration', 'SecretAccessKey', 'Token']);
    expect(res.body['AccessKeyId']).toMatch(/^ASIAAGRL[A-Z2-7]{12}$/);
    expect(String(res.body['SecretAccessKey']).length).toBeGreaterThanOrEqual(40);
    expect(String(res.body['Token']).length).toBeGreaterThanOrEqual(40);
    // Default ttl: one hour.
    const expires = Date.parse(String(res.body['Expiration']));
    expect(expires - started).toBeGreaterThan(3500_000);
    expect(expires - started).toBeLessThanOrEqual(3600_000 + 5_000);
    const entry = sidecar.sidecar.sessions.lookup(String(res.body['AccessKeyId']));
    expect(entry?.session.id).toBe(sidecar.endpoints.rootSession.id);
    // Asked again well before rotation: the same credentials.
    const again = await getJson(credentialsUrl, { headers: { authorization: sidecar.endpoints.rootToken } });
    expect(again.body['AccessKeyId']).toBe(res.body['AccessKeyId']);
  });

  it('answers other methods 405 and other paths 404, in JSON', async () => {
    const post = await getJson(credentialsUrl, { method: 'POST', headers: { authorization: sidecar.endpoints.rootToken } });
    expect(post.status).toBe(405);
    const getDelegations = await getJson(delegationsUrl(credentialsUrl), { headers: { authorization: sidecar.endpoints.rootToken } });
    expect(getDelegations.status).toBe(405);
    const other = await getJson(credentialsUrl.replace('/v1/credentials', '/latest/meta-data/'), { headers: { authorization: sidecar.endpoints.rootToken } });
    expect(other.status).toBe(404);
  });
});

describe('POST /v1/delegations', () => {
  it('returns a child token whose credentials work through the sidecar, with the chain extended', async () => {
    const child = await delegate(credentialsUrl, sidecar.endpoints.rootToken, 'planner');
    expect(child.parent).toBe(sidecar.endpoints.rootSession.id);
    expect(child.chain).toEqual([{ type: 'User', name: 'alice@example.com' }, { type: 'Agent', name: 'planner' }]);
    const creds = await fetchAgentCredentials(credentialsUrl, child.token);
    const root = await fetchAgentCredentials(credentialsUrl, sidecar.endpoints.rootToken);
    expect(creds.accessKeyId).not.toBe(root.accessKeyId);
    expect(await putThroughSidecar(creds, 'from-planner')).toBe(200);
    expect(upstream.object('/creds/from-planner')?.bytes).toBe('from-planner'.length);
    const entry = sidecar.sidecar.sessions.lookup(creds.accessKeyId);
    expect(entry?.session.id).toBe(child.session);
    expect(entry?.session.chain.map((a) => `${a.type}:${a.name}`)).toEqual(['User:alice@example.com', 'Agent:planner']);
  });

  it('nested delegation to depth 3 builds the chain from the parents, whatever the caller claims', async () => {
    let token = sidecar.endpoints.rootToken;
    let parent = sidecar.endpoints.rootSession.id;
    const names = ['orchestrator', 'researcher', 'sweeper'];
    for (const name of names) {
      const d = await delegate(credentialsUrl, token, name);
      expect(d.parent).toBe(parent);
      token = d.token;
      parent = d.session;
    }
    const creds = await fetchAgentCredentials(credentialsUrl, token);
    const session = sidecar.sidecar.sessions.lookup(creds.accessKeyId)?.session;
    expect(session?.chain).toEqual([
      { type: 'User', name: 'alice@example.com' },
      { type: 'Agent', name: 'orchestrator' },
      { type: 'Agent', name: 'researcher' },
      { type: 'Agent', name: 'sweeper' },
    ]);
    expect(session?.initiator).toBe('alice@example.com');
    // A body that names another chain changes nothing: the chain comes from the token.
    const spoof = await postDelegation(token, JSON.stringify({ agent: 'leaf', chain: [{ type: 'User', name: 'mallory' }], initiator: 'mallory' }));
    expect(spoof.status).toBe(201);
    expect((spoof.body['chain'] as Array<{ name: string }>).map((a) => a.name)).toEqual(['alice@example.com', ...names, 'leaf']);
    expect(await putThroughSidecar(creds, 'from-depth-3')).toBe(200);
  });

  it('a real SDK (JS v3 fromHttp) works with a delegated token end to end', async () => {
    const child = await delegate(credentialsUrl, sidecar.endpoints.rootToken, 'sdk-agent');
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: sidecar.endpoints.explicitUrl,
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: fromHttp({ awsContainerCredentialsFullUri: credentialsUrl, awsContainerAuthorizationToken: child.token }),
    });
    try {
      await s3.send(new PutObjectCommand({ Bucket: 'creds', Key: 'sdk', Body: 'via sdk' }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'creds', Key: 'sdk' }));
      expect(await got.Body?.transformToString()).toBe('via sdk');
    } finally {
      s3.destroy();
    }
  });

  it.each([
    ['an empty name', JSON.stringify({ agent: '' })],
    ['a name starting with a space', JSON.stringify({ agent: ' lead' })],
    ['a name with a newline', JSON.stringify({ agent: 'a\nb' })],
    ['a name over 128 characters', JSON.stringify({ agent: 'a'.repeat(129) })],
    ['a number', JSON.stringify({ agent: 42 })],
    ['no agent', JSON.stringify({ name: 'x' })],
    ['a JSON array', JSON.stringify(['x'])],
    ['JSON null', 'null'],
    ['not JSON', 'agent=x'],
    ['truncated JSON', '{"agent": "x"'],
    ['a body over 4 KiB', JSON.stringify({ agent: 'x', pad: 'p'.repeat(5000) })],
  ])('400 for %s, and no token is issued', async (_what, body) => {
    const res = await postDelegation(sidecar.endpoints.rootToken, body);
    expect(res.status).toBe(400);
    expect(res.body['code']).toBe('BadRequest');
    expect(typeof res.body['message']).toBe('string');
    expect(res.body['token']).toBeUndefined();
  });

  it('401 without a token and 403 with a wrong one', async () => {
    expect((await postDelegation(undefined, JSON.stringify({ agent: 'x' }))).status).toBe(401);
    const forged = await postDelegation('forged-token', JSON.stringify({ agent: 'x' }));
    expect(forged.status).toBe(403);
    expect(forged.body['token']).toBeUndefined();
  });
});

/*
 * Expiry cannot be waited for through a Sidecar (ttl is at least 15 minutes
 * and its registry's clock is not injectable), so the same data path is built
 * here from its parts with a registry whose clock the test moves.
 */
describe('expired ephemeral credentials', () => {
  let clock = Date.now();
  let server: http.Server;
  let base: string;
  let dispatcher: Agent;
  let registry: SessionRegistry;
  let metrics: SidecarMetrics;
  let upstreamCreds: UpstreamCredentials;

  beforeAll(async () => {
    const logger = createLogger('error', { component: 'expiry-test' });
    const audit = new AuditRecorder({ transport: new MemoryAuditTransport(), source: { host: 'test' }, failMode: 'closed', maxBodyBytes: 1024, logger });
    registry = new SessionRegistry({ ttlMs: 900_000, rotateBeforeMs: 60_000, now: () => clock, onSessionStarted: (s) => audit.sessionStarted(s) });
    const gateway = registry.createRoot('gateway', [{ type: 'User', name: 'gateway' }]);
    metrics = new SidecarMetrics();
    upstreamCreds = new UpstreamCredentials(async () => ({ ...UPSTREAM_KEYS }), logger);
    await upstreamCreds.start();
    dispatcher = new Agent();
    const handler = new AwsRequestHandler({
      sessions: registry,
      upstreamCredentials: upstreamCreds,
      dispatcher,
      routing: { endpoint: new URL(upstream.endpoint) },
      metrics,
      logger,
      defaultRegion: 'us-east-1',
      interceptedHost: () => undefined,
      isAwsHost: () => true,
      audit,
      rootSession: () => gateway.session,
      maxCaptureBytes: 4096,
      policy: new PolicyGate({ initial: PolicySet.of([]), unavailableAction: 'Deny' }),
      roleCredentials: new RoleCredentials({ base: () => upstreamCreds.current(), region: 'us-east-1', dispatcher, logger }),
      place: {},
      limits: { maxBufferedBodyBytes: 1 << 20, maxChunkBytes: 1 << 20, clockSkewMs: 900_000, upstreamHeadersTimeoutMs: 5_000, upstreamBodyTimeoutMs: 5_000 },
    });
    server = http.createServer(handler.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    upstreamCreds?.stop();
    await dispatcher?.close();
  });

  it('work until their Expiration, then S3 answers 400 ExpiredToken and JSON 400 ExpiredTokenException', async () => {
    const { token } = registry.createRoot('bob', [{ type: 'User', name: 'bob' }]);
    const issued = registry.credentialsFor(token);
    if (issued === undefined) throw new Error('no credentials issued');
    const creds = { accessKeyId: issued.accessKeyId, secretAccessKey: issued.secretAccessKey, sessionToken: issued.sessionToken };
    const ok = await sendRaw(base, await signedCall(base, creds, { service: 's3', method: 'PUT', path: '/creds/before-expiry', body: 'x' }));
    expect(ok.status).toBe(200);

    clock += 900_000 + 1_000; // past Expiration; the caller's own clock (and signature date) is still now
    const s3 = await sendRaw(base, await signedCall(base, creds, { service: 's3', method: 'PUT', path: '/creds/after-expiry', body: 'x' }));
    expect(s3.status).toBe(400);
    expect(s3.body.toString()).toContain('<Code>ExpiredToken</Code>');
    const ddb = await sendRaw(base, await signedCall(base, creds, dynamoDbCall('ListTables')));
    expect(ddb.status).toBe(400);
    expect(JSON.parse(ddb.body.toString()).__type).toMatch(/#ExpiredTokenException$/);
    expect(upstream.object('/creds/after-expiry')).toBeUndefined();
    const text = await metrics.registry.metrics();
    expect(metricSum(text, 'agentrail_sidecar_caller_errors_total', { code: 'ExpiredToken' })).toBe(1);
    expect(metricSum(text, 'agentrail_sidecar_caller_errors_total', { code: 'ExpiredTokenException' })).toBe(1);

    // The token still works: the agent's SDK refreshes and carries on with new keys.
    const fresh = registry.credentialsFor(token);
    expect(fresh?.accessKeyId).not.toBe(issued.accessKeyId);
    const again = await sendRaw(base, await signedCall(base, {
      accessKeyId: fresh?.accessKeyId ?? '', secretAccessKey: fresh?.secretAccessKey ?? '', sessionToken: fresh?.sessionToken ?? '',
    }, { service: 's3', method: 'PUT', path: '/creds/after-refresh', body: 'x' }));
    expect(again.status).toBe(200);
  });

  it('rotated credentials: the previous keys keep working until they expire themselves', async () => {
    const { token } = registry.createRoot('carol', [{ type: 'User', name: 'carol' }]);
    const first = registry.credentialsFor(token);
    clock += 900_000 - 30_000; // inside the rotation window, 30 s before expiry
    const second = registry.credentialsFor(token);
    expect(second?.accessKeyId).not.toBe(first?.accessKeyId);
    const asFirst = { accessKeyId: first?.accessKeyId ?? '', secretAccessKey: first?.secretAccessKey ?? '', sessionToken: first?.sessionToken ?? '' };
    const res = await sendRaw(base, await signedCall(base, asFirst, { service: 's3', method: 'PUT', path: '/creds/rotated', body: 'x' }));
    expect(res.status).toBe(200);
  });
});
