import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAuditApiHandler, SqliteAuditStore, StaticTokenAuthenticator } from '@agentrail/collector';
import { createLogger } from '@agentrail/core';
import type { AuditEvent } from '@agentrail/core';
import { IDS, SessionWriter, T0 } from './support/audit-trail.js';
import { CaptureStream, runCli } from './support/run-cli.js';
import { createTrailStore, type TrailStore } from './support/trail-store.js';

const now = new Date(T0 + 300_000);
const TOKEN = 'c2VjcmV0LXRva2VuLWZvci10aGUtYXVkaXQtYXBpLXRlc3Q=';
let trail: TrailStore;
let store: SqliteAuditStore;
let api: Api;
let url: string;
let tokenFile: string;

interface Api {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The collector's real audit API over a real store: the CLI reads it as it would in a cluster. */
async function startApi(port = 0): Promise<Api> {
  const logger = createLogger('error');
  const server: Server = createServer(createAuditApiHandler({ reader: store, auth: new StaticTokenAuthenticator(TOKEN, logger), logger, now: () => now }));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

beforeAll(async () => {
  trail = createTrailStore();
  store = SqliteAuditStore.open(trail.path);
  api = await startApi();
  url = api.url;
  tokenFile = join(trail.dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
});
afterAll(async () => {
  await api.close();
  store.close();
  trail.remove();
});

describe('--server: reading from a collector', () => {
  it('lists sessions, shows a tree and searches over the API', async () => {
    const auth = ['--server', url, '--token-file', tokenFile];
    const sessions = await runCli(['sessions', '--roots', ...auth], { now });
    expect(sessions.code).toBe(0);
    expect(sessions.stdout).toContain(IDS.root);
    expect(sessions.stdout).toContain(IDS.other);

    const show = await runCli(['show', IDS.root, ...auth], { now });
    expect(show.stdout).toContain(`│  └─ ${IDS.cleanup}`);

    const search = await runCli(['search', '--decision', 'Deny', '--json', ...auth], { now });
    expect(search.stdout.trim().split('\n')).toHaveLength(3);

    const missing = await runCli(['show', 'ses_nope', ...auth], { now });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no session ses_nope');
  });

  it('says what to do when the token is refused or the server is wrong', async () => {
    const wrong = join(trail.dir, 'wrong-token');
    writeFileSync(wrong, 'd3JvbmctdG9rZW4td3JvbmctdG9rZW4td3JvbmctdG9rZW4=');
    const refused = await runCli(['sessions', '--server', url, '--token-file', wrong], { now });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('check the token file');

    const badUrl = await runCli(['sessions', '--server', 'ftp://example.com'], { now });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('--server: "ftp://example.com" must be an http(s) URL');

    const noFile = await runCli(['sessions', '--server', url, '--token-file', join(trail.dir, 'absent')], { now });
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain('--token-file:');
  });

  it('keeps tailing through a collector outage, and fails fast when it cannot connect at all', async () => {
    const own = await startApi();
    const stdout = new CaptureStream();
    const stderr = new CaptureStream();
    const ctrlC = new AbortController();
    const run = runCli(['tail', '--server', own.url, '--token-file', tokenFile, '--json', '--poll-ms', '50'], { stdout, stderr, interrupt: ctrlC.signal });
    await new Promise((r) => setTimeout(r, 200));
    await own.close();
    await stderr.waitFor((t) => t.includes('retrying'));
    const back = await startApi(own.port);
    const live: AuditEvent[] = [];
    new SessionWriter(live, 'ses_live00000000000000000009', [{ type: 'User', name: 'dora' }], { host: 'h' }, undefined, Date.now()).started(0).call(1, 's3:GetObject', '*', 'Allow');
    trail.insert(live);
    await stdout.waitFor((t) => t.trim().split('\n').length === 2);
    ctrlC.abort();
    expect((await run).code).toBe(0);
    await back.close();
    expect(stderr.text.match(/retrying/g)).toHaveLength(1);
    expect(stderr.text).toContain('the collector answers again');

    const never = await runCli(['tail', '--server', own.url, '--poll-ms', '50']);
    expect(never.code).toBe(1);
    expect(never.stderr).toContain('cannot reach the collector');
  });

  it('is not offered by verify and export, which need the store itself', async () => {
    const r = await runCli(['verify', '--server', url], { now });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--server'");
  });
});
