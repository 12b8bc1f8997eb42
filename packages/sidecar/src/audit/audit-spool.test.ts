import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { SessionChainer, UlidFactory, type AuditEvent, type SessionStartedEvent } from '@agentrail/core';
import { AuditSpool, type AuditSpoolOptions } from './audit-spool.js';
import { AuditFullError } from './audit-transport.js';

const ulid = new UlidFactory();

function events(n: number, session = `s-${ulid.next()}`, padding = 0): AuditEvent[] {
  const chainer = new SessionChainer();
  return Array.from({ length: n }, () =>
    chainer.seal<SessionStartedEvent>({
      v: 1, id: ulid.next(), time: new Date().toISOString(), type: 'session.started',
      session: { id: session }, initiator: 'alice', chain: [{ type: 'User', name: 'alice' }],
      source: { cluster: 'test', namespace: 'agents', pod: 'x'.repeat(padding) },
    }),
  );
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentrail-spool-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const quiet = () => ({ info: jest.fn(), warn: jest.fn(), error: jest.fn() });

function open(opts: Partial<AuditSpoolOptions> & { dir: string }): AuditSpool {
  return AuditSpool.open({ logger: quiet(), ...opts });
}

/** Takes until the spool has nothing more to hand out. */
async function takeAll(spool: AuditSpool, batch = 1_000): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const got = await spool.take(batch);
    if (got.length === 0) return ids;
    ids.push(...got.map((r) => r.id));
  }
}

describe('AuditSpool', () => {
  it('hands out events in append order with their subject and JSON, and is drained once all are acked', async () => {
    const spool = open({ dir: tempDir() });
    const evs = events(50);
    for (const e of evs) spool.append(e);
    expect(spool.drained()).toBe(false);
    await spool.written();
    const got = await spool.take(1_000);
    expect(got.map((r) => r.id)).toEqual(evs.map((e) => e.id));
    expect(got[0]?.subject).toBe(`agentrail.audit.test.agents.${evs[0]?.session.id}`);
    expect(JSON.parse(got[0]?.data.toString() ?? '')).toEqual(evs[0]);
    for (const r of got.slice(0, 49)) spool.ack(r.id);
    expect(spool.drained()).toBe(false);
    spool.ack(got[49]?.id ?? '');
    spool.ack(got[49]?.id ?? ''); // a second ack of the same id is ignored
    expect(spool.drained()).toBe(true);
    await spool.close();
    await spool.close();
  });

  it('replays every unacked event after a reopen, and nothing after a clean close with all acked', async () => {
    const dir = tempDir();
    const first = open({ dir, segmentBytes: 4_096 });
    // Several group commits: a segment is sealed at the first commit that takes it over 4 KiB.
    for (let round = 0; round < 12; round++) {
      for (const e of events(10)) first.append(e);
      await first.written();
    }
    const taken = await takeAll(first);
    expect(taken).toHaveLength(120);
    // Ack the first 60: their sealed segments go; the rest stays for the next run.
    for (const id of taken.slice(0, 60)) first.ack(id);
    await first.close();

    const second = open({ dir, segmentBytes: 4_096 });
    const replayed = await takeAll(second);
    expect(replayed).toEqual(expect.arrayContaining(taken.slice(60)));
    // Only the segment that held both acked and unacked events is sent twice.
    expect(replayed.length).toBeLessThan(60 + 30);
    expect(new Set(replayed).size).toBe(replayed.length);
    for (const id of replayed) second.ack(id);
    expect(second.drained()).toBe(true);
    await second.close();
    expect(readdirSync(dir)).toEqual([]);

    const third = open({ dir });
    expect(await takeAll(third)).toEqual([]);
    await third.close();
  });

  it('skips and reports a torn last line left by a crash', async () => {
    const dir = tempDir();
    const evs = events(3);
    const file = join(dir, '0000000000000007.jsonl');
    writeFileSync(file, evs.map((e) => `${JSON.stringify(e)}\n`).join(''));
    appendFileSync(file, JSON.stringify(events(1)[0]).slice(0, 40)); // the write a SIGKILL cut short
    const logger = quiet();
    const onError = jest.fn();
    const spool = AuditSpool.open({ dir, logger, onError });
    expect(await takeAll(spool)).toEqual(evs.map((e) => e.id));
    expect(onError).toHaveBeenCalledWith('spool-corrupt');
    expect(logger.warn).toHaveBeenCalledWith('skipping unreadable audit spool line', expect.objectContaining({ reason: expect.stringContaining('torn') }));
    // New events go to a new segment after the old ones, never after the torn bytes.
    const more = events(2);
    for (const e of more) spool.append(e);
    await spool.written();
    expect(await takeAll(spool)).toEqual(more.map((e) => e.id));
    await spool.close();
  });

  it('refuses events over its byte bound with AuditFullError, and accepts again once deliveries free space', async () => {
    const onBytes = jest.fn<(b: number) => void>();
    const spool = open({ dir: tempDir(), maxBytes: 64 * 1024, onBytes });
    let accepted = 0;
    let refused: unknown;
    for (let i = 0; i < 1_000 && refused === undefined; i++) {
      try {
        spool.append(events(1, 'bound', 200)[0] as AuditEvent);
        accepted++;
      } catch (err) {
        refused = err;
      }
    }
    expect(refused).toBeInstanceOf(AuditFullError);
    expect(spool.accepting()).toBe(false);
    expect(spool.bytes()).toBeLessThanOrEqual(64 * 1024);
    expect(() => spool.append(events(1)[0] as AuditEvent)).toThrow(AuditFullError);
    await spool.written();
    const ids = await takeAll(spool);
    expect(ids).toHaveLength(accepted);
    for (const id of ids) spool.ack(id);
    expect(spool.accepting()).toBe(true);
    expect(spool.bytes()).toBeLessThan(16 * 1024);
    expect(spool.undeliveredBytes()).toBe(0);
    expect(onBytes).toHaveBeenLastCalledWith(0);
    spool.append(events(1)[0] as AuditEvent);
    await spool.written();
    expect(await takeAll(spool)).toHaveLength(1);
    await spool.close();
  });

  it('refuses an event larger than maxEventBytes', async () => {
    const spool = open({ dir: tempDir(), maxEventBytes: 1_000 });
    expect(() => spool.append(events(1, 'big', 2_000)[0] as AuditEvent)).toThrow(/over the 1000-byte limit/);
    await spool.close();
  });

  it('keeps at most its read-ahead in memory and reads the rest back from the segments', async () => {
    const spool = open({ dir: tempDir(), readAheadBytes: 2_048, segmentBytes: 16 * 1024 });
    const evs: AuditEvent[] = [];
    // Several commits while nobody takes: only the first fits the read-ahead.
    for (let round = 0; round < 10; round++) {
      const batch = events(20);
      for (const e of batch) spool.append(e);
      evs.push(...batch);
      await spool.written();
    }
    const first = await spool.take(10_000);
    expect(first.length).toBeLessThan(evs.length);
    const rest = await takeAll(spool, 7);
    expect([...first.map((r) => r.id), ...rest]).toEqual(evs.map((e) => e.id));
    for (const e of evs) spool.ack(e.id);
    expect(spool.drained()).toBe(true);
    await spool.close();
  });
});
