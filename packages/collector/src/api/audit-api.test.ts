import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditEvent } from '@agentrail/core';
import type { AuditReader, SearchQuery, SessionQuery } from '../store/audit-store.js';
import { SqliteAuditStore } from '../store/sqlite-audit-store.js';
import { createAuditApiHandler } from './audit-api.js';
import { OidcAuthenticator } from './oidc-authenticator.js';
import { captureLogger, deadUrl, request, serve, type Served } from './testing/api-harness.js';
import { fixtureTrail, T0 } from './testing/audit-fixtures.js';
import { TestOidcIssuer } from './testing/test-oidc-issuer.js';

const { logger, lines, text } = captureLogger();
const { events, ids } = fixtureTrail();
/** The API's clock: an hour after the fixture trail began. */
const now = new Date(T0 + 60 * 60_000);
let issuer: TestOidcIssuer;
let store: SqliteAuditStore;
let api: Served;
let token: string;

beforeAll(async () => {
  issuer = await TestOidcIssuer.start();
  store = SqliteAuditStore.open(':memory:');
  store.insert(events);
  const auth = new OidcAuthenticator({ issuer: issuer.issuer, audience: 'agentrail', allowedGroups: ['auditors'], logger });
  api = await serve(createAuditApiHandler({ reader: store, auth, logger, now: () => now }));
  token = await issuer.sign({ sub: 'erin', groups: ['auditors'] });
});
afterAll(async () => {
  await api.close();
  await issuer.close();
  store.close();
});

/** GET with the allowed token, another one, or (null) none. */
const get = (path: string, t: string | null = token) => request(`${api.url}${path}`, t === null ? {} : { token: t });
const idsOf = (evs: readonly AuditEvent[]) => evs.map((e) => e.id);

describe('authentication', () => {
  it('answers 401 with a bare challenge when there is no token', async () => {
    const r = await get('/v1/events', null);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="agentrail"');
    expect(r.body.error.code).toBe('API_UNAUTHENTICATED');
  });

  const epoch = () => Math.floor(Date.now() / 1000);
  it.each([
    ['a malformed token', async () => 'not-a-jwt', /not a valid JWT/],
    ['another scheme', async () => 'Basic', /not "Bearer <token>"/],
    ['a token signed with a key the issuer never published', async () => issuer.sign({ groups: ['auditors'] }, { key: await TestOidcIssuer.foreignKey() }), /signature/],
    ['a token with an unknown key id', async () => issuer.sign({ groups: ['auditors'] }, { key: await TestOidcIssuer.foreignKey(), kid: 'other' }), /signing key/],
    ['an expired token', async () => issuer.sign({ groups: ['auditors'], iat: epoch() - 3600, exp: epoch() - 600 }), /expired/],
    ['a token for another audience', async () => issuer.sign({ groups: ['auditors'], aud: 'kubernetes' }), /aud/],
    ['a token from another issuer', async () => issuer.sign({ groups: ['auditors'], iss: 'https://idp.example.com' }), /iss/],
    ['a token that never expires', async () => issuer.sign({ groups: ['auditors'], exp: undefined }), /exp/],
  ])('answers 401 invalid_token to %s', async (_what, make, message) => {
    const t = await make();
    const r = t === 'Basic' ? await request(`${api.url}/v1/events`, { authorization: 'Basic YWxpY2U6c2VjcmV0' }) : await get('/v1/events', t);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="agentrail", error="invalid_token"');
    expect(r.body.error.code).toBe('API_UNAUTHENTICATED');
    expect(r.body.error.message).toMatch(message);
    expect(r.text).not.toContain(t);
  });

  it('answers 403 to a valid token outside the allowed groups', async () => {
    const r = await get('/v1/sessions', await issuer.sign({ sub: 'frank', groups: ['devs'] }));
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="agentrail", error="insufficient_scope"');
    expect(r.body.error.code).toBe('API_FORBIDDEN');
  });

  it('answers 200 to a token in an allowed group, and logs the subject but never the token', async () => {
    const r = await get('/v1/sessions');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(lines.some((l) => l['message'] === 'audit api request' && l['subject'] === 'erin' && l['status'] === 200)).toBe(true);
    expect(text()).not.toContain(token);
  });

  it('serves /healthz and /readyz without a token', async () => {
    expect((await get('/healthz', null)).body).toEqual({ status: 'ok' });
    expect((await get('/readyz', null)).status).toBe(200);
  });

  it('answers 503, not 401, while the identity provider is down', async () => {
    const auth = new OidcAuthenticator({ issuer: await deadUrl(), audience: 'agentrail', allowedGroups: ['auditors'], logger });
    const down = await serve(createAuditApiHandler({ reader: store, auth, logger }));
    try {
      const r = await request(`${down.url}/v1/events`, { token });
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('API_AUTH_UNAVAILABLE');
      expect(r.headers.get('retry-after')).toBe('10');
    } finally {
      await down.close();
    }
  });
});

describe('GET /v1/events', () => {
  it('returns every event, newest first, by default', async () => {
    const r = await get('/v1/events');
    expect(r.status).toBe(200);
    expect(r.body.nextCursor).toBeUndefined();
    expect(r.body.events).toHaveLength(events.length);
    const times = (r.body.events as AuditEvent[]).map((e) => e.time);
    expect(times).toEqual([...times].sort().reverse());
  });

  const minute = (m: number) => new Date(T0 + m * 60_000);
  it.each<[string, SearchQuery, number]>([
    ['initiator=bob', { initiator: 'bob' }, 2],
    ['agent=s3-cleanup', { agent: 's3-cleanup' }, 3],
    ['chain=Pod%20agents%2Fplanner', { chainMember: 'Pod agents/planner' }, 7],
    [`session=${ids.root}`, { session: ids.root }, 4],
    [`session=${ids.root}&descendants=true`, { session: ids.root, includeDescendants: true }, 7],
    ['namespace=batch', { namespace: 'batch' }, 2],
    ['service=dynamodb', { service: 'dynamodb' }, 1],
    ['operation=s3:Delete*', { operation: 's3:Delete*' }, 2],
    ['resource=arn:aws:s3:::reports/*', { resource: 'arn:aws:s3:::reports/*' }, 2],
    ['decision=RequireApproval', { decision: 'RequireApproval' }, 1],
    ['type=session.started', { type: 'session.started' }, 3],
    ['since=2025-06-01T10:05:00Z&until=2025-06-01T10:07:30Z', { since: minute(5), until: minute(7.5) }, 3],
    ['since=35m', { since: minute(25) }, 2],
    ['q=GuardrailDenied', { text: 'GuardrailDenied' }, 1],
    ['order=asc&limit=3', { order: 'asc', limit: 3 }, 3],
  ])('maps %s onto the store query', async (qs, query, count) => {
    const r = await get(`/v1/events?${qs}`);
    expect(r.status).toBe(200);
    const direct = await store.search({ limit: 100, ...query });
    expect(idsOf(r.body.events)).toEqual(idsOf(direct.events));
    expect(r.body.events).toHaveLength(count);
  });

  it('pages through every event with the cursor', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await get(`/v1/events?limit=4${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      expect(r.status).toBe(200);
      seen.push(...idsOf(r.body.events));
      cursor = r.body.nextCursor;
      pages += 1;
    } while (cursor !== undefined && pages < 10);
    expect(pages).toBe(Math.ceil(events.length / 4));
    expect(seen).toEqual(idsOf((await store.search({ limit: 100 })).events));
  });

  it('answers 400 to a cursor it did not issue', async () => {
    const r = await get('/v1/events?cursor=bogus');
    expect([r.status, r.body.error.code]).toEqual([400, 'API_INVALID_PARAMETER']);
  });

  it.each([
    ['/v1/events?namespaces=agents', 'API_UNKNOWN_PARAMETER'],
    ['/v1/events?since=yesterday', 'API_INVALID_TIME'],
    ['/v1/events?until=2025-02-30T00:00:00Z', 'API_INVALID_TIME'],
    ['/v1/events?limit=0', 'API_INVALID_PARAMETER'],
    ['/v1/events?limit=20000', 'API_INVALID_PARAMETER'],
    ['/v1/events?decision=Maybe', 'API_INVALID_PARAMETER'],
    ['/v1/sessions?roots=yes', 'API_INVALID_PARAMETER'],
    [`/v1/sessions/${ids.root}?verbose=1`, 'API_UNKNOWN_PARAMETER'],
  ])('answers 400 to %s', async (path, code) => {
    const r = await get(path);
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(r.body).toEqual({ error: { code, message: expect.any(String) } });
  });

  it('holds pages to the configured maximum', async () => {
    const auth = new OidcAuthenticator({ issuer: issuer.issuer, audience: 'agentrail', allowedGroups: ['auditors'], logger });
    const small = await serve(createAuditApiHandler({ reader: store, auth, logger, maxLimit: 2 }));
    try {
      expect((await request(`${small.url}/v1/events`, { token })).body.events).toHaveLength(2);
      expect((await request(`${small.url}/v1/events?limit=3`, { token })).status).toBe(400);
    } finally {
      await small.close();
    }
  });
});

describe('sessions', () => {
  it.each<[string, SessionQuery, number]>([
    ['', {}, 3],
    ['?roots=true', { rootsOnly: true }, 2],
    ['?initiator=bob', { initiator: 'bob' }, 1],
    ['?agent=s3-cleanup', { agent: 's3-cleanup' }, 1],
    ['?chain=alice', { chainMember: 'alice' }, 2],
    ['?namespace=agents&limit=1', { namespace: 'agents', limit: 1 }, 1],
    ['?since=2025-06-01T10:20:00Z', { since: new Date('2025-06-01T10:20:00Z') }, 1],
  ])('GET /v1/sessions%s maps onto the store query', async (qs, query, count) => {
    const r = await get(`/v1/sessions${qs}`);
    expect(r.status).toBe(200);
    expect(r.body.sessions).toEqual(await store.sessions({ limit: 100, ...query }));
    expect(r.body.sessions).toHaveLength(count);
  });

  it('GET /v1/sessions/{id} returns the summary', async () => {
    const r = await get(`/v1/sessions/${ids.child}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(await store.session(ids.child));
    expect(r.body).toMatchObject({ id: ids.child, parent: ids.root, calls: 2, denied: 1, chainStatus: 'intact' });
  });

  it('GET /v1/sessions/{id}/tree returns the session with its delegations', async () => {
    const r = await get(`/v1/sessions/${ids.root}/tree`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(await store.tree(ids.root));
    expect(r.body.events).toHaveLength(4);
    expect(r.body.children.map((c: { session: { id: string } }) => c.session.id)).toEqual([ids.child]);
  });

  it.each(['/v1/sessions/01JUNKNOWN00000000000000000', '/v1/sessions/01JUNKNOWN00000000000000000/tree'])('answers 404 to unknown %s', async (path) => {
    const r = await get(path);
    expect([r.status, r.body.error.code]).toEqual([404, 'API_SESSION_NOT_FOUND']);
  });
});

describe('HTTP', () => {
  it('answers 404 to an unknown endpoint', async () => {
    const r = await get('/v1/event');
    expect([r.status, r.body.error.code]).toEqual([404, 'API_NOT_FOUND']);
  });

  it.each(['POST', 'PUT', 'DELETE'])('answers 405 to %s', async (method) => {
    const r = await request(`${api.url}/v1/events`, { token, method });
    expect([r.status, r.headers.get('allow'), r.body.error.code]).toEqual([405, 'GET, HEAD', 'API_METHOD_NOT_ALLOWED']);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const r = await request(`${api.url}/v1/sessions`, { token, method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(Number(r.headers.get('content-length'))).toBe(Buffer.byteLength((await get('/v1/sessions')).text));
    expect(r.text).toBe('');
  });

  it('answers 500 without the failure details when the store fails', async () => {
    const failing: AuditReader = {
      search: () => { throw new Error('SQLITE_CORRUPT: secret row content'); },
      sessions: () => [], session: () => undefined, tree: () => undefined,
    };
    const auth = new OidcAuthenticator({ issuer: issuer.issuer, audience: 'agentrail', allowedGroups: ['auditors'], logger });
    const broken = await serve(createAuditApiHandler({ reader: failing, auth, logger }));
    try {
      const r = await request(`${broken.url}/v1/events`, { token });
      expect([r.status, r.body.error.code]).toEqual([500, 'API_INTERNAL']);
      expect(r.text).not.toContain('secret');
      const requestId = r.headers.get('x-request-id');
      expect(r.body.error.message).toContain(requestId);
      expect(lines.some((l) => l['requestId'] === requestId && String(l['error']).includes('SQLITE_CORRUPT'))).toBe(true);
    } finally {
      await broken.close();
    }
  });
});
