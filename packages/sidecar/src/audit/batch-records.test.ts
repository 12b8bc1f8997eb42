import { describe, expect, test } from '@jest/globals';
import type { SpooledRecord } from './audit-spool.js';
import { batchRecords } from './jetstream-transport.js';

const rec = (id: string, subject: string, bytes = 10): SpooledRecord => ({ id, subject, data: Buffer.from(`{"id":"${id}"}`.padEnd(bytes, ' ')) });

describe('batchRecords: what one NATS message carries', () => {
  test('events of one subject, in spool order, as JSON lines; several subjects never share a message', () => {
    const out = batchRecords([rec('a1', 's.a'), rec('b1', 's.b'), rec('a2', 's.a'), rec('a3', 's.a'), rec('b2', 's.b')]);
    expect(out.map((m) => [m.subject, m.recs.map((r) => r.id)])).toEqual([['s.a', ['a1', 'a2', 'a3']], ['s.b', ['b1', 'b2']]]);
    const a = out[0];
    expect(a?.data.toString().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['a1', 'a2', 'a3']);
    expect(a?.msgID).toBe('a1-a3-3');
  });

  test('a message of one event is that event as it was spooled, with the event id as Nats-Msg-Id', () => {
    const one = rec('x1', 's.x');
    const [m] = batchRecords([one]);
    expect(m?.data).toBe(one.data);
    expect(m?.msgID).toBe('x1');
  });

  test('the byte bound cuts a session into several messages; an event over it goes alone', () => {
    const recs = [rec('a1', 's', 40), rec('a2', 's', 40), rec('a3', 's', 200), rec('a4', 's', 40)];
    const out = batchRecords(recs, 100);
    expect(out.map((m) => m.recs.map((r) => r.id))).toEqual([['a1', 'a2'], ['a3'], ['a4']]);
    for (const m of out) expect(m.recs.length === 1 || m.data.length <= 100).toBe(true);
  });

  test('at most 256 events per message', () => {
    const recs = Array.from({ length: 600 }, (_, i) => rec(`e${i}`, 's'));
    expect(batchRecords(recs).map((m) => m.recs.length)).toEqual([256, 256, 88]);
  });
});
