/**
 * JetStream → store ingest against a real nats-server and the SQLite store:
 * no loss and no duplicates across an ingest restart and redeliveries, and
 * garbage in the stream never stalls it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  AUDIT_STREAM, COLLECTOR_CONSUMER, SessionChainer, UlidFactory, auditSubject, ensureAuditStream,
  type AuditEvent, type AwsCallEvent, type SessionStartedEvent,
} from '@agentrail/core';
import { startNatsServer, type NatsServer } from '../../../core/src/testing/nats-server.js';
import { SqliteAuditStore } from '../store/sqlite-audit-store.js';
import type { AuditStore } from '../store/audit-store.js';
import { JetStreamIngest, type IngestCounters, type JetStreamIngestOptions } from './jetstream-ingest.js';

const ulid = new UlidFactory();
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** One session: session.started, then aws.call events, sealed into a valid chain. */
function sessionEvents(calls: number): AuditEvent[] {
  const session = `s-${ulid.next()}`;
  const chainer = new SessionChainer();
  const base = {
    v: 1 as const, initiator: 'alice', chain: [{ type: 'User' as const, name: 'alice' }, { type: 'Agent' as const, name: 'ingest-test' }],
    source: { cluster: 'test', namespace: 'agents', pod: 'agent-0' }, session: { id: session },
  };
  const out: AuditEvent[] = [chainer.seal<SessionStartedEvent>({ ...base, id: ulid.next(), time: new Date().toISOString(), type: 'session.started' })];
  for (let i = 0; i < calls; i++) {
    out.push(chainer.seal<AwsCallEvent>({
      ...base, id: ulid.next(), time: new Date().toISOString(), type: 'aws.call',
      aws: { service: 's3', operation: 's3:GetObject', region: 'us-east-1', host: 's3.amazonaws.com', resources: [`arn:aws:s3:::reports/${i}`] },
      request: { method: 'GET', path: `/reports/${i}` },
      response: { status: 200, bytes: 10, latencyMs: 3, from: 'upstream' },
      decision: { action: 'Allow', policy: 'p', rule: 'read-reports' },
    }));
  }
  return out;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

describe('JetStreamIngest', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const ingests: JetStreamIngest[] = [];
  const stores: AuditStore[] = [];

  function start(store: AuditStore, opts: Partial<JetStreamIngestOptions> = {}): JetStreamIngest {
    const ingest = JetStreamIngest.start({ servers: nats.url, store, logger: quiet, reconnectWaitMs: 50, ...opts });
    ingests.push(ingest);
    return ingest;
  }
  function openStore(): AuditStore {
    const store = SqliteAuditStore.open(':memory:');
    stores.push(store);
    return store;
  }
  async function publish(events: AuditEvent[], msgID = (e: AuditEvent) => e.id): Promise<void> {
    await Promise.all(events.map((e) => js.publish(auditSubject(e), JSON.stringify(e), { msgID: msgID(e) })));
  }
  const storedIds = (store: AuditStore): string[] => [...store.events()].map((e) => e.id);
  const pending = async () => (await jsm.consumers.info(AUDIT_STREAM, COLLECTOR_CONSUMER).catch(() => ({ num_ack_pending: -1 }))).num_ack_pending;

  beforeAll(async () => {
    nats = await startNatsServer();
    // This client outlives the server restart below, and finds it again quickly.
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
    js = jetstream(nc);
    // Short API timeouts: a request lost while the server restarts is retried, not waited on for 5 s.
    jsm = await jetstreamManager(nc, { timeout: 1_000 });
  });
  afterEach(async () => {
    await Promise.all(ingests.splice(0).map((i) => i.stop()));
    for (const s of stores.splice(0)) s.close();
    await jsm.streams.delete(AUDIT_STREAM).catch(() => false);
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it('stores every event exactly once across an ingest restart and redelivered duplicates, acking only after commit', async () => {
    await ensureAuditStream(jsm);
    const store = openStore();
    const sessions = Array.from({ length: 4 }, () => sessionEvents(499)); // 2,000 events
    const all = sessions.flat();
    const first = start(store);
    await publish(all.slice(0, 1_000));
    await waitFor('the first half', () => first.counters().ingested >= 500);
    await first.stop(); // mid-stream: the batch in hand is committed and acked
    await first.stop();
    const stopped = first.counters();
    expect(stopped.ingested).toBeGreaterThanOrEqual(500);

    await publish(all.slice(1_000));
    // A sidecar replaying its spool after the duplicate window: same events, new message ids.
    await publish(all.slice(0, 300), (e) => `replay-${e.id}`);
    const second = start(store);
    await waitFor('all events', () => storedIds(store).length >= 2_000 && second.counters().duplicates >= 300);
    await waitFor('no unacked messages', async () => (await pending()) === 0);

    const ids = storedIds(store);
    expect(ids).toHaveLength(2_000);
    expect(new Set(ids)).toEqual(new Set(all.map((e) => e.id)));
    const totals: IngestCounters = second.counters();
    expect(stopped.ingested + totals.ingested).toBe(2_000);
    expect(totals).toMatchObject({ invalid: 0, breaks: 0, storeErrors: 0 });
    expect(store.verify().breaks).toEqual([]);
  });

  it('terminates messages that are not audit events, counts them, and keeps ingesting', async () => {
    await ensureAuditStream(jsm);
    const store = openStore();
    const invalid: string[] = [];
    const ingest = start(store, { hooks: { onError: (r) => invalid.push(r) } });
    const events = sessionEvents(9);
    await publish(events.slice(0, 5));
    await js.publish('agentrail.audit.test.agents.junk', 'not json at all', { msgID: 'junk-1' });
    await js.publish('agentrail.audit.test.agents.junk', JSON.stringify({ v: 1, id: 'nope' }), { msgID: 'junk-2' });
    await js.publish('agentrail.audit.test.agents.junk', new Uint8Array([0xff, 0xfe, 0x00]), { msgID: 'junk-3' });
    // A well-formed envelope the store still refuses (an aws.call without its decision).
    const { decision: _dropped, ...undecided } = sessionEvents(1)[1] as AwsCallEvent;
    await publish([{ ...undecided, session: { ...undecided.session, id: 'other', seq: 1 } } as unknown as AuditEvent]);
    await publish(events.slice(5));
    await waitFor('valid events stored', () => storedIds(store).length === 10);
    await waitFor('nothing left unacked', async () => (await pending()) === 0);
    expect(ingest.counters()).toMatchObject({ ingested: 10, invalid: 4, storeErrors: 0 });
    expect(invalid.filter((r) => r === 'invalid-message')).toHaveLength(4);
    // Terminated, not redelivered: a while later nothing came back.
    await delay(300);
    const info = await jsm.consumers.info(AUDIT_STREAM, COLLECTOR_CONSUMER);
    expect(info.num_redelivered).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  it('stores every event of a message carrying several (JSON lines, as sidecars batch them), and drops only its bad lines', async () => {
    await ensureAuditStream(jsm);
    const store = openStore();
    const ingest = start(store);
    const events = sessionEvents(5);
    const lines = events.map((e) => JSON.stringify(e));
    lines.splice(3, 0, '{"v":1,"id":"not-a-ulid"}');
    await js.publish(auditSubject(events[0] as AuditEvent), lines.join('\n'), { msgID: 'batch-1' });
    await waitFor('the batch stored', () => storedIds(store).length === 6);
    await waitFor('the message acked', async () => (await pending()) === 0);
    expect(storedIds(store)).toEqual(events.map((e) => e.id));
    expect(ingest.counters()).toMatchObject({ ingested: 6, invalid: 1 });
    expect(store.verify().breaks).toEqual([]);
    await delay(200);
    expect((await jsm.consumers.info(AUDIT_STREAM, COLLECTOR_CONSUMER)).num_redelivered).toBe(0);
  });

  it('redelivers a batch the store failed to commit, with a delay, until it is stored', async () => {
    await ensureAuditStream(jsm);
    const real = openStore();
    let failures = 2;
    // The real store behind a wrapper that fails like a locked database, twice.
    const flaky = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== 'insert') return Reflect.get(target, prop, receiver) as unknown;
        return (events: readonly AuditEvent[]) => {
          if (failures-- > 0) throw Object.assign(new Error('database is locked'), { code: 'ERR_SQLITE_ERROR' });
          return target.insert(events);
        };
      },
    });
    const ingest = start(flaky, { nakDelayMs: 100 });
    const events = sessionEvents(49);
    await publish(events);
    await waitFor('events stored', () => storedIds(real).length === 50);
    await waitFor('nothing left unacked', async () => (await pending()) === 0);
    expect(ingest.counters()).toMatchObject({ ingested: 50, invalid: 0 });
    expect(ingest.counters().storeErrors).toBeGreaterThanOrEqual(1);
    expect(real.verify().breaks).toEqual([]);
  });

  it('starts before NATS is up and before the stream exists, then ingests what arrives', async () => {
    await nats.kill();
    const store = openStore();
    const ingest = start(store);
    await delay(200);
    await nats.restart();
    await waitFor('the consumer', async () => jsm.consumers.info(AUDIT_STREAM, COLLECTOR_CONSUMER).then(() => true, () => false));
    const events = sessionEvents(20);
    await publish(events);
    await waitFor('events stored', () => ingest.counters().ingested === 21);
    expect(storedIds(store)).toEqual(events.map((e) => e.id));
  });
});
