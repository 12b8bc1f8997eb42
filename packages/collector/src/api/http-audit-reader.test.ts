import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigError } from '@agentrail/core';
import { AuditApiError } from '../errors.js';
import type { SearchQuery, SessionQuery } from '../store/audit-store.js';
import { SqliteAuditStore } from '../store/sqlite-audit-store.js';
import { createAuditApiHandler } from './audit-api.js';
import { forbidden } from './authenticator.js';
import { HttpAuditReader } from './http-audit-reader.js';
import { StaticTokenAuthenticator } from './static-token-authenticator.js';
import { captureLogger, deadUrl, serve, type Served } from './testing/api-harness.js';
import { fixtureTrail, T0 } from './testing/audit-fixtures.js';

const TOKEN = 'dev-token-0123456789abcdefghijklmnopqrstuv';
const { logger } = captureLogger();
const { events, ids } = fixtureTrail();
let store: SqliteAuditStore;
let api: Served;
let reader: HttpAuditReader;
let dir: string;
const at = (m: number) => new Date(T0 + m * 60_000);

beforeAll(async () => {
  store = SqliteAuditStore.open(':memory:');
  store.insert(events);
  api = await serve(createAuditApiHandler({ reader: store, auth: new StaticTokenAuthenticator(TOKEN, logger), logger }));
  reader = new HttpAuditReader({ url: api.url, token: TOKEN });
  dir = await mkdtemp(join(tmpdir(), 'agentrail-reader-'));
});
afterAll(async () => {
  await api.close();
  store.close();
  await rm(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<AuditApiError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(AuditApiError);
  return err as AuditApiError;
}

describe('HttpAuditReader round trip', () => {
  it.each<[string, SearchQuery]>([
    ['everything', {}],
    ['a session with its delegations', { session: ids.root, includeDescendants: true }],
    ['chain member and time range', { chainMember: 'Pod agents/planner', since: at(1), until: at(6) }],
    ['operation glob, oldest first', { operation: '*:Get*', order: 'asc' }],
    ['service and operation', { operation: 's3:DeleteObject' }],
    ['decision and type', { decision: 'Deny', type: 'aws.call' }],
    ['free text', { text: 'GuardrailDenied' }],
    ['a small page', { limit: 2 }],
  ])('search: %s equals the store', async (_what, query) => {
    expect(await reader.search(query)).toEqual(await store.search(query));
  });

  it('search: follows cursors like the store', async () => {
    const first = await reader.search({ limit: 5 });
    expect(first.nextCursor).toBeDefined();
    expect(await reader.search({ limit: 5, cursor: first.nextCursor as string })).toEqual(await store.search({ limit: 5, cursor: first.nextCursor as string }));
  });

  it.each<[string, SessionQuery]>([
    ['all', {}],
    ['roots', { rootsOnly: true }],
    ['by agent', { agent: 's3-cleanup' }],
    ['by initiator since', { initiator: 'alice', since: at(0) }],
  ])('sessions: %s equals the store', async (_what, query) => {
    expect(await reader.sessions(query)).toEqual(await store.sessions(query));
  });

  it('session and tree equal the store, and an unknown id is undefined', async () => {
    expect(await reader.session(ids.child)).toEqual(await store.session(ids.child));
    expect(await reader.tree(ids.root)).toEqual(await store.tree(ids.root));
    expect(await reader.session('no-such-session')).toBeUndefined();
    expect(await reader.tree('no/such session')).toBeUndefined();
  });

  it('keeps a path prefix of the server URL', async () => {
    const inner = createAuditApiHandler({ reader: store, auth: new StaticTokenAuthenticator(TOKEN, logger), logger });
    const proxied = await serve((req, res) => {
      req.url = req.url?.replace(/^\/audit/, '');
      inner(req, res);
    });
    try {
      const r = new HttpAuditReader({ url: `${proxied.url}/audit`, token: TOKEN });
      expect(await r.sessions({ rootsOnly: true })).toEqual(await store.sessions({ rootsOnly: true }));
    } finally {
      await proxied.close();
    }
  });
});

describe('HttpAuditReader errors', () => {
  it('maps 401 to API_UNAUTHENTICATED with a hint about the token', async () => {
    for (const r of [new HttpAuditReader({ url: api.url }), new HttpAuditReader({ url: api.url, token: 'wrong' })]) {
      const err = await failure(r.sessions({}));
      expect([err.code, err.status]).toEqual(['API_UNAUTHENTICATED', 401]);
      expect(err.message).toMatch(/token file/);
    }
  });

  it('maps 403 to API_FORBIDDEN with a hint about groups', async () => {
    const denying = await serve(createAuditApiHandler({ reader: store, auth: { authenticate: async () => { throw forbidden('frank is in none of the allowed groups'); } }, logger }));
    try {
      const err = await failure(new HttpAuditReader({ url: denying.url, token: 'x' }).search({}));
      expect([err.code, err.status]).toEqual(['API_FORBIDDEN', 403]);
      expect(err.message).toMatch(/frank is in none of the allowed groups.*group/);
    } finally {
      await denying.close();
    }
  });

  it('passes the server 400 codes through', async () => {
    expect((await failure(reader.search({ limit: 0 }))).code).toBe('API_INVALID_PARAMETER');
    expect((await failure(reader.search({ since: at(10), until: at(0) }))).code).toBe('API_INVALID_TIME');
    expect((await failure(reader.search({ cursor: 'bogus' }))).code).toBe('API_INVALID_PARAMETER');
  });

  it('reads the token file before every request', async () => {
    const file = join(dir, 'token');
    await writeFile(file, `${TOKEN}\n`);
    const r = HttpAuditReader.withTokenFile(api.url, file);
    expect(await r.sessions({ rootsOnly: true })).toHaveLength(2);
    await writeFile(file, 'rotated-away\n');
    expect((await failure(r.sessions({}))).code).toBe('API_UNAUTHENTICATED');
    await rm(file);
    const err = await failure(r.sessions({}));
    expect([err.code, err.status, err.message]).toEqual(['API_UNAUTHENTICATED', 0, expect.stringMatching(/cannot read the token file .*ENOENT/)]);
  });

  it('reports an unreachable server as API_UNREACHABLE', async () => {
    const err = await failure(new HttpAuditReader({ url: await deadUrl() }).sessions({}));
    expect([err.code, err.status]).toEqual(['API_UNREACHABLE', 0]);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('reports a server that is not the audit API as API_BAD_RESPONSE or API_NOT_FOUND', async () => {
    const other = await serve((req, res) => {
      if (req.url?.startsWith('/v1/sessions/')) res.writeHead(302, { location: 'https://login.example.com/' }).end();
      else if (req.url?.startsWith('/v1/sessions')) res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>');
      else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"API_NOT_FOUND","message":"no endpoint"}}');
    });
    try {
      const r = new HttpAuditReader({ url: other.url, token: TOKEN });
      expect((await failure(r.sessions({}))).code).toBe('API_BAD_RESPONSE');
      const redirected = await failure(r.session('x'));
      expect([redirected.code, redirected.message]).toEqual(['API_BAD_RESPONSE', expect.stringMatching(/redirects .*login\.example\.com/)]);
      expect((await failure(r.search({}))).code).toBe('API_NOT_FOUND');
    } finally {
      await other.close();
    }
  });

  it.each(['ftp://collector', 'https://user:pass@collector', 'https://collector/?x=1', 'collector:8080'])('refuses the URL %s', (url) => {
    expect(() => new HttpAuditReader({ url })).toThrow(ConfigError);
  });
});
