/**
 * PolicyWatcher against a real nats-server: policies published to the bucket
 * reach the sidecar's decision within a second; a sidecar that starts while
 * NATS is down enforces its cached policies and converges once NATS is back.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { PolicyRequest, PolicySet } from '@agentrail/core';
import { startNatsServer, type NatsServer } from '../../../core/src/testing/nats-server.js';
import { POLICY_BUCKET, type PolicyBundle } from '@agentrail/core';
import { PolicyWatcher, type PolicyWatcherOptions } from './policy-watcher.js';

function bundle(name: string, generation: number, spec: Record<string, unknown>, namespace = 'agents'): string {
  const b: PolicyBundle = { apiVersion: 'agentrail.dev/v1alpha1', kind: 'GatewayPolicy', metadata: { namespace, name, generation, uid: `uid-${name}` }, spec, compiledAt: new Date().toISOString() };
  return JSON.stringify(b);
}
const deny = (name: string, operation: string, extra: Record<string, unknown> = {}) => ({ defaultAction: 'Allow', rules: [{ name, action: 'Deny', operations: [operation] }], ...extra });

function call(operation: string): PolicyRequest {
  return {
    identity: { initiator: 'alice', chain: [{ type: 'User', name: 'alice' }], session: 's-1', namespace: 'agents', pod: 'agent-0' },
    aws: { service: operation.split(':')[0] ?? '', operation, region: 'us-east-1', resources: ['*'] },
    request: { method: 'POST', path: '/' },
    time: new Date(),
  };
}

/** Records every set the watcher hands over; waits for one that satisfies a check. */
class Recorder {
  sets: PolicySet[] = [];
  readonly onChange = (s: PolicySet) => { this.sets.push(s); };
  get latest(): PolicySet | undefined { return this.sets.at(-1); }
  action(operation: string): string | undefined { return this.latest?.evaluate(call(operation)).action; }
  /** Resolves with the milliseconds it took; rejects after `timeoutMs`. */
  async until(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
    const start = performance.now();
    while (!check()) {
      if (performance.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return performance.now() - start;
  }
}

class Logs {
  lines: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
  info = (message: string, meta?: Record<string, unknown>) => { this.lines.push({ level: 'info', message, ...(meta ? { meta } : {}) }); };
  warn = (message: string, meta?: Record<string, unknown>) => { this.lines.push({ level: 'warn', message, ...(meta ? { meta } : {}) }); };
  error = (message: string, meta?: Record<string, unknown>) => { this.lines.push({ level: 'error', message, ...(meta ? { meta } : {}) }); };
}

let nats: NatsServer;
let nc: NatsConnection;
let kv: KV;
const watchers: PolicyWatcher[] = [];
const dirs: string[] = [];

async function watch(opts: Partial<PolicyWatcherOptions> & { servers: string; onChange: PolicyWatcherOptions['onChange'] }): Promise<PolicyWatcher> {
  const w = await PolicyWatcher.start({ namespace: 'agents', podLabels: {}, ...opts });
  watchers.push(w);
  return w;
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'agentrail-policy-'));
  dirs.push(d);
  return d;
}

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url });
  kv = await new Kvm(nc).create(POLICY_BUCKET, { history: 5 });
});

afterAll(async () => {
  await Promise.all(watchers.map((w) => w.stop()));
  await nc?.close();
  await nats?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('PolicyWatcher', () => {
  it('applies a new, an edited and a deleted policy within a second each', async () => {
    const rec = new Recorder();
    const w = await watch({ servers: nats.url, namespace: 'live', onChange: rec.onChange });
    await rec.until('the empty initial set', () => w.ready() && rec.latest?.size === 0, 10_000);

    await kv.put('live.guard', bundle('guard', 1, deny('no-deletes', 's3:Delete*'), 'live'));
    expect(await rec.until('the new policy denies s3:DeleteObject', () => rec.action('s3:DeleteObject') === 'Deny', 1_000)).toBeLessThan(1_000);

    await kv.put('live.guard', bundle('guard', 2, deny('no-puts', 's3:Put*'), 'live'));
    await rec.until('the edit takes effect', () => rec.action('s3:PutObject') === 'Deny' && rec.action('s3:DeleteObject') === 'Allow', 1_000);

    await kv.delete('live.guard');
    await rec.until('the deletion takes effect', () => rec.latest?.size === 0, 1_000);
    expect(rec.action('s3:PutObject')).toBe('Allow');
    expect(w.keys()).toEqual([]);
  });

  it('starts from the values already in the bucket, for its namespace and pod only', async () => {
    await kv.put('agents.everyone', bundle('everyone', 1, deny('no-deletes', 's3:Delete*')));
    await kv.put('agents.research-only', bundle('research-only', 1, deny('no-puts', 's3:Put*', { podSelector: { matchLabels: { team: 'research' } } })));
    await kv.put('others.everyone', bundle('everyone', 1, deny('no-gets', 's3:Get*'), 'others'));
    const rec = new Recorder();
    const w = await watch({ servers: nats.url, podLabels: { team: 'ops' }, onChange: rec.onChange });
    await rec.until('the initial values', () => w.live(), 10_000);
    expect(w.keys()).toEqual(['agents.everyone', 'agents.research-only']);
    expect(rec.latest?.list().map((p) => p.key)).toEqual(['agents/everyone']);
    expect(rec.action('s3:DeleteObject')).toBe('Deny');
    expect(rec.action('s3:PutObject')).toBe('Allow');
    expect(rec.action('s3:GetObject')).toBe('Allow');
    // One set for the whole initial state, not one per key.
    expect(rec.sets).toHaveLength(1);
  });

  it('ignores a bundle that does not compile and keeps that policy\'s previous version', async () => {
    const logs = new Logs();
    const rec = new Recorder();
    const w = await watch({ servers: nats.url, namespace: 'skew', onChange: rec.onChange, logger: logs });
    await rec.until('ready', () => w.live(), 10_000);
    await kv.put('skew.guard', bundle('guard', 1, deny('no-deletes', 's3:Delete*'), 'skew'));
    await rec.until('the valid version', () => rec.action('s3:DeleteObject') === 'Deny', 1_000);
    await kv.put('skew.guard', bundle('guard', 2, { rules: [{ name: 'broken', action: 'Deny', operations: ['*'], when: 'size(identity.chain) > "x"' }] }, 'skew'));
    await rec.until('the warning', () => logs.lines.some((l) => l.meta?.['code'] === 'POLICY_BUNDLE_INVALID'), 1_000);
    expect(rec.action('s3:DeleteObject')).toBe('Deny');
    expect(rec.latest?.list()[0]?.generation).toBe(1);
    const warning = logs.lines.find((l) => l.meta?.['code'] === 'POLICY_BUNDLE_INVALID');
    expect(warning?.meta).toMatchObject({ key: 'skew.guard', keptGeneration: 1 });
    expect(String(warning?.meta?.['reason'])).toContain('spec.rules[0].when');
  });

  it('enforces its cached policies while NATS is down, and converges when NATS comes up', async () => {
    const server = await startNatsServer();
    try {
      const cacheFile = join(tempDir(), 'policies.json');
      const admin = await connect({ servers: server.url });
      const bucket = await new Kvm(admin).create(POLICY_BUCKET);
      await bucket.put('agents.a', bundle('a', 1, deny('no-deletes', 's3:Delete*')));

      // A first sidecar syncs and leaves its cache behind.
      const first = new Recorder();
      const w1 = await watch({ servers: server.url, cacheFile, onChange: first.onChange });
      await first.until('synced', () => w1.live(), 10_000);
      await first.until('cache written', () => existsSync(cacheFile), 2_000);
      await w1.stop();

      // While no sidecar watches: a replaced, b added; then NATS goes away.
      await bucket.delete('agents.a');
      await bucket.put('agents.b', bundle('b', 1, deny('no-puts', 's3:Put*')));
      await admin.close();
      await server.kill();

      const rec = new Recorder();
      const w2 = await watch({ servers: server.url, cacheFile, onChange: rec.onChange, reconnectWaitMs: 100 });
      expect(w2.ready()).toBe(true);
      expect(w2.live()).toBe(false);
      expect(rec.action('s3:DeleteObject')).toBe('Deny');
      expect(rec.action('s3:PutObject')).toBe('Allow');

      const uncached = await watch({ servers: server.url, onChange: () => undefined });
      expect(uncached.ready()).toBe(false);

      await server.restart();
      await rec.until('the bucket\'s content replaces the cache', () => rec.action('s3:DeleteObject') === 'Allow' && rec.action('s3:PutObject') === 'Deny', 15_000);
      expect(w2.live()).toBe(true);
      await rec.until('the cache follows', () => readFileSync(cacheFile, 'utf8').includes('"agents.b"') && !readFileSync(cacheFile, 'utf8').includes('"agents.a"'), 2_000);
      await uncached.stop();
    } finally {
      await server.stop();
    }
  });

  it('re-reads the bucket after NATS restarts under it', async () => {
    const server = await startNatsServer();
    const admin = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    try {
      // A short request deadline: a put sent before the admin connection is back times out quickly, and is retried.
      const bucket = await new Kvm(jetstream(admin, { timeout: 1_000 })).create(POLICY_BUCKET);
      await bucket.put('agents.a', bundle('a', 1, deny('no-deletes', 's3:Delete*')));
      const rec = new Recorder();
      const w = await watch({ servers: server.url, onChange: rec.onChange, reconnectWaitMs: 100 });
      await rec.until('synced', () => rec.action('s3:DeleteObject') === 'Deny', 10_000);
      await server.kill();
      await server.restart();
      // JetStream takes a moment to recover its streams after a restart.
      await retry(() => bucket.put('agents.a', bundle('a', 2, deny('no-puts', 's3:Put*'))), 15_000);
      await rec.until('the change made after the restart', () => rec.action('s3:PutObject') === 'Deny' && rec.action('s3:DeleteObject') === 'Allow', 15_000);
      expect(w.live()).toBe(true);
    } finally {
      await admin.close();
      await server.stop();
    }
  });
});

async function retry<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
