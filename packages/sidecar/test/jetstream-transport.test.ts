/**
 * The JetStream audit transport against a real nats-server: killed with
 * SIGKILL mid-run and restarted on the same port and store, and absent when
 * the sidecar starts. Every event must reach the stream exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { AUDIT_STREAM, ensureAuditStream, SessionChainer, UlidFactory, type AuditEvent, type SessionStartedEvent } from '@agentrail/core';
import { startNatsServer, type NatsServer } from '../../core/src/testing/nats-server.js';
import { JetStreamAuditTransport, type JetStreamAuditTransportOptions } from '../src/audit/jetstream-transport.js';

const ulid = new UlidFactory();
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function events(n: number, session = `s-${ulid.next()}`): AuditEvent[] {
  const chainer = new SessionChainer();
  return Array.from({ length: n }, () =>
    chainer.seal<SessionStartedEvent>({
      v: 1, id: ulid.next(), time: new Date().toISOString(), type: 'session.started',
      session: { id: session }, initiator: 'alice', chain: [{ type: 'User', name: 'alice' }],
      source: { cluster: 'test', namespace: 'agents', pod: 'agent-0' },
    }),
  );
}

interface StreamMessage {
  subject: string;
  msgId: string;
  /** The events the message carries, in order (JSON lines). */
  events: AuditEvent[];
}

/** The ids of every event in the audit stream, in stream order. */
async function streamIds(url: string): Promise<string[]> {
  return (await streamMessages(url)).flatMap((m) => m.events.map((e) => e.id));
}

/** Every message in the audit stream. */
async function streamMessages(url: string): Promise<StreamMessage[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(AUDIT_STREAM);
    const ids: StreamMessage[] = [];
    if (info.state.messages === 0) return ids;
    const name = `check-${ulid.next()}`;
    await jsm.consumers.add(AUDIT_STREAM, { name, ack_policy: AckPolicy.None, inactive_threshold: 60e9 });
    const consumer = await jsm.jetstream().consumers.get(AUDIT_STREAM, name);
    while (ids.length < info.state.messages) {
      // Asking for exactly what is left ends the fetch as soon as it is all there.
      const batch = await consumer.fetch({ max_messages: Math.min(1_000, info.state.messages - ids.length), expires: 2_000 });
      let got = 0;
      for await (const m of batch) {
        ids.push({ subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id') ?? '', events: m.string().split('\n').map((l) => JSON.parse(l) as AuditEvent) });
        got++;
      }
      if (got === 0) break;
    }
    return ids;
  } finally {
    await nc.close();
  }
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentrail-transport-'));
  dirs.push(dir);
  return dir;
}

describe('JetStreamAuditTransport', () => {
  let nats: NatsServer;
  const transports: JetStreamAuditTransport[] = [];

  function start(opts: Partial<JetStreamAuditTransportOptions> & { spoolDir?: string } = {}): JetStreamAuditTransport {
    const { spoolDir, ...rest } = opts;
    const t = JetStreamAuditTransport.start({
      servers: nats.url,
      spool: { dir: spoolDir ?? tempDir() },
      publishTimeoutMs: 1_000,
      retryBaseMs: 20,
      retryMaxMs: 300,
      reconnectWaitMs: 50,
      logger: quiet,
      ...rest,
    });
    transports.push(t);
    return t;
  }

  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close(100)));
    if (!nats.running()) await nats.restart();
    const nc = await connect({ servers: nats.url });
    await (await jetstreamManager(nc)).streams.delete(AUDIT_STREAM).catch(() => false);
    await nc.close();
  });
  afterAll(async () => {
    await nats?.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('delivers every event exactly once while nats-server is SIGKILLed and restarted mid-run', async () => {
    let delivered = 0;
    let killed: Promise<void> | undefined;
    const transport = start({
      hooks: {
        onDelivered: (n) => {
          delivered += n;
          // SIGKILL from inside an ack: other publishes are certainly in flight.
          if (delivered >= 800) killed ??= nats.kill();
        },
      },
    });
    const all: AuditEvent[] = [];
    const sessions = Array.from({ length: 5 }, () => events(600));
    let written = 0;
    // A steady writer, as request handlers would be: 100 events every 5 ms.
    const writer = (async () => {
      while (written < 3_000) {
        for (let i = 0; i < 100; i++, written++) {
          const e = sessions[written % 5]?.[Math.floor(written / 5)] as AuditEvent;
          transport.write(e);
          all.push(e);
        }
        await delay(5);
      }
    })();
    while (killed === undefined) await delay(5);
    await killed;
    expect(transport.accepting()).toBe(true); // spooling, not refusing
    while (written < 2_000) await delay(5);
    await delay(300); // publishes time out and retry against the dead server
    await nats.restart();
    await writer;
    expect(await transport.flush(20_000)).toBe(true);
    expect(delivered).toBeGreaterThanOrEqual(3_000);
    expect(delivered).toBeLessThan(3_500); // retries, but no storm of resends

    // A retried batch keeps its Nats-Msg-Id, so JetStream drops the copy the dead server already had.
    const messages = await streamMessages(nats.url);
    const ids = messages.flatMap((m) => m.events.map((e) => e.id));
    expect(ids).toHaveLength(3_000);
    expect(new Set(ids)).toEqual(new Set(all.map((e) => e.id)));
    // Batched: each message holds consecutive events of one session, on that session's subject.
    expect(messages.length).toBeLessThan(1_000);
    for (const m of messages) {
      const seqs = m.events.map((e) => e.session.seq);
      expect(new Set(m.events.map((e) => e.session.id)).size).toBe(1);
      expect(m.subject.endsWith(`.${m.events[0]?.session.id}`)).toBe(true);
      expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));
      expect(m.msgId).toBe(m.events.length === 1 ? m.events[0]?.id : `${m.events[0]?.id}-${m.events.at(-1)?.id}-${m.events.length}`);
    }
  });

  it('starts while NATS is down, spools, and delivers once NATS comes up', async () => {
    await nats.kill();
    const transport = start();
    const evs = events(200);
    for (const e of evs) transport.write(e);
    await delay(300);
    expect(transport.isConnected()).toBe(false);
    expect(transport.accepting()).toBe(true);
    expect(await transport.flush(100)).toBe(false);
    await nats.restart();
    expect(await transport.flush(15_000)).toBe(true);
    const messages = await streamMessages(nats.url);
    expect(messages.flatMap((m) => m.events.map((e) => e.id))).toEqual(evs.map((e) => e.id)); // one session, in order
    expect(messages.length).toBeLessThanOrEqual(2); // what waited was sent in few messages, not 200
  });

  it('retries a refused publish with backoff until it is accepted, never dropping it', async () => {
    // No stream, and this sidecar may not create one: JetStream refuses every publish.
    const errors: string[] = [];
    const transport = start({ ensureStream: false, hooks: { onError: (r) => errors.push(r) } });
    const evs = events(20);
    for (const e of evs) transport.write(e);
    while (!errors.includes('no-stream')) await delay(10);
    expect(await transport.flush(200)).toBe(false);
    const nc = await connect({ servers: nats.url });
    await ensureAuditStream(await jetstreamManager(nc));
    await nc.close();
    expect(await transport.flush(10_000)).toBe(true);
    expect(await streamIds(nats.url)).toHaveLength(20);
  });

  it('replays its spool after a restart: events written while NATS was down are delivered by the next process', async () => {
    await nats.kill();
    const spoolDir = tempDir();
    const first = start({ spoolDir });
    const evs = events(100);
    for (const e of evs) first.write(e);
    await first.close(200);
    expect(() => first.write(evs[0] as AuditEvent)).toThrow(/closed/);
    await nats.restart();
    const onSpoolBytes = jest.fn<(b: number) => void>();
    const second = start({ spoolDir, hooks: { onSpoolBytes } });
    expect(await second.flush(15_000)).toBe(true);
    expect(onSpoolBytes).toHaveBeenCalled();
    expect((await streamIds(nats.url)).sort()).toEqual(evs.map((e) => e.id).sort());
  });
});
