/**
 * The audit trail's promise — no loss, no duplicates, every chain intact —
 * under the failures a cluster sees: 2,000 calls through a real
 * `agentrail sidecar` process while nats-server is SIGKILLed and restarted
 * twice and the sidecar itself is restarted once (same spool directory). The
 * collector's JetStream ingest writes into a real SQLite store; the upstream
 * is the SigV4-checking test upstream, so every call really succeeds.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { AwsCallEvent } from '@agentrail/core';
import { startNatsServer, type NatsServer } from '../../core/src/testing/nats-server.js';
import { cleanEnv } from '../../sidecar/test/support/aws-clients.js';
import { requireBuiltCli, startCliSidecar, type CliSidecar } from '../../sidecar/test/support/cli-sidecar.js';
import { signedCall } from '../../sidecar/test/support/agent-calls.js';
import { fetchAgentCredentials, type AgentCredentials } from '../../sidecar/test/support/container-credentials.js';
import { sendRaw } from '../../sidecar/test/support/raw-http.js';
import { startSigV4Upstream, type SigV4Upstream } from '../../sidecar/test/support/sigv4-upstream.js';
import { JetStreamIngest } from '../src/ingest/jetstream-ingest.js';
import { SqliteAuditStore } from '../src/store/sqlite-audit-store.js';

jest.setTimeout(240_000);

const KEYS = { accessKeyId: 'AKIAUPSTREAMRELIABLE', secretAccessKey: 'upstream-secret-reliability' };
const CALLS = 2000;
const CONCURRENCY = 8;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

const work = mkdtempSync(join(tmpdir(), 'agentrail-reliability-'));
let nats: NatsServer;
let upstream: SigV4Upstream;
let store: SqliteAuditStore;
let ingest: JetStreamIngest;
let sidecar: CliSidecar | undefined;

beforeAll(async () => {
  requireBuiltCli();
  [nats, upstream] = await Promise.all([startNatsServer(), startSigV4Upstream({ ...KEYS, minChunkBytes: 0 })]);
  store = SqliteAuditStore.open(join(work, 'audit.db'));
  ingest = JetStreamIngest.start({ servers: nats.url, store, logger: quiet });
});

afterAll(async () => {
  await sidecar?.kill();
  await ingest?.stop();
  store?.close();
  await nats?.stop();
  await upstream?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function startSidecar(): Promise<{ cli: CliSidecar; creds: AgentCredentials }> {
  const tokenFile = join(work, 'token');
  const cli = await startCliSidecar([
    '--upstream-endpoint', upstream.endpoint, '--explicit-port', '0', '--credentials-port', '0', '--ops-port', '0',
    '--token-file', tokenFile, '--nats', nats.url, '--spool-dir', join(work, 'spool'), '--log-level', 'error',
    '--cluster', 'test', '--namespace', 'agents', '--pod', 'agent-0',
  ], cleanEnv({ AWS_ACCESS_KEY_ID: KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey, AWS_REGION: 'us-east-1' }));
  const creds = await fetchAgentCredentials(cli.endpoints.credentials, readFileSync(tokenFile, 'utf8').trim());
  return { cli, creds };
}

/** Waits until `count` aws.call events are stored (or the deadline), and returns them. */
async function storedCalls(count: number, timeoutMs: number): Promise<AwsCallEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const calls: AwsCallEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = store.search({ type: 'aws.call', order: 'asc', limit: 10_000, ...(cursor !== undefined ? { cursor } : {}) });
      calls.push(...(page.events as AwsCallEvent[]));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    if (calls.length >= count || Date.now() > deadline) return calls;
    await delay(250);
  }
}

describe('audit delivery through failures', () => {
  it(`${CALLS} calls, NATS killed and restarted twice, the sidecar restarted once: exactly ${CALLS} events, no duplicates, every chain intact`, async () => {
    let current = await startSidecar();
    sidecar = current.cli;
    // What happens before call i is issued (calls run CONCURRENCY at a time).
    const disruptions = new Map<number, () => Promise<void>>([
      [300, () => nats.kill()],
      [600, () => nats.restart()],
      [1000, async () => {
        // A graceful restart: SIGTERM drains in-flight calls; the new process replays the spool.
        current.cli.signal('SIGTERM');
        expect((await current.cli.exited).code).toBe(0);
        current = await startSidecar();
        sidecar = current.cli;
      }],
      [1300, () => nats.kill()],
      [1500, async () => {
        // The sidecar keeps spooling while NATS is away for a while.
        await delay(1000);
        await nats.restart();
      }],
    ]);
    const statuses: number[] = [];
    for (let i = 0; i < CALLS; i += CONCURRENCY) {
      for (let j = i; j < i + CONCURRENCY; j++) await disruptions.get(j)?.();
      const base = current.cli.endpoints.explicit;
      const batch = await Promise.all(Array.from({ length: Math.min(CONCURRENCY, CALLS - i) }, async (_x, k) => {
        const req = await signedCall(base, current.creds, { service: 's3', method: 'PUT', path: `/reliability/call-${i + k}`, body: `call ${i + k}` });
        return (await sendRaw(base, req)).status;
      }));
      statuses.push(...batch);
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    const calls = await storedCalls(CALLS, 90_000);
    expect(calls).toHaveLength(CALLS);
    expect(new Set(calls.map((c) => c.request.path)).size).toBe(CALLS);
    expect(new Set(calls.map((c) => c.id)).size).toBe(CALLS);
    // Two sidecar lives, two root sessions, each chain complete and unbroken.
    const sessions = await store.sessions({ limit: 10 });
    expect(sessions).toHaveLength(2);
    for (const s of sessions) expect(s).toMatchObject({ chainStatus: 'intact', pod: 'agent-0', namespace: 'agents' });
    expect(sessions.reduce((n, s) => n + s.calls, 0)).toBe(CALLS);
    const report = store.verify();
    expect(report.breaks).toEqual([]);
    expect(ingest.counters().invalid).toBe(0);
  });
});
