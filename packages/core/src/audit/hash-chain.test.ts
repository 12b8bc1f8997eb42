import { GENESIS_HASH, type AuditEvent, type SessionEndedEvent, type UnsealedEvent } from './audit-event.js';
import { canonicalJson } from './canonical-json.js';
import { eventHash, SessionChainer, verifyChain } from './hash-chain.js';

function unsealed(i: number, session = 'sess-1'): UnsealedEvent<SessionEndedEvent> {
  return {
    v: 1, id: `01J0000000000000000000000${i}`.slice(-26), time: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(), type: 'session.ended',
    session: { id: session }, initiator: 'alice@example.com', chain: [{ type: 'User', name: 'alice@example.com' }], source: { host: 'h' }, reason: `event ${i}`,
  };
}

function sealedChain(n: number, session = 'sess-1'): AuditEvent[] {
  const chainer = new SessionChainer();
  return Array.from({ length: n }, (_, i) => chainer.seal(unsealed(i + 1, session)));
}

const kinds = (events: AuditEvent[], anchor?: { seq: number; prevHash: string }) => verifyChain(events, anchor).map((b) => `${b.kind}@${b.seq}`);

describe('SessionChainer.seal', () => {
  test('numbers events 1, 2, 3 … and links each to the previous hash, from the genesis hash', () => {
    const events = sealedChain(4);
    expect(events.map((e) => e.session.seq)).toEqual([1, 2, 3, 4]);
    expect(events[0]?.session.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < events.length; i++) expect(events[i]?.session.prevHash).toBe(events[i - 1]?.session.hash);
    for (const e of events) expect(e.session.hash).toBe(eventHash(e));
    expect(verifyChain(events)).toEqual([]);
  });

  test('the hash covers seq and prevHash, not itself, and not member order', () => {
    const [e] = sealedChain(1) as [AuditEvent];
    expect(e.session.hash).toMatch(/^[0-9a-f]{64}$/);
    const reordered = Object.fromEntries(Object.entries(e).reverse()) as unknown as AuditEvent;
    reordered.session = { hash: 'ignored', prevHash: e.session.prevHash, seq: e.session.seq, id: e.session.id };
    expect(eventHash(reordered)).toBe(e.session.hash);
    expect(eventHash({ ...e, session: { ...e.session, seq: 2 } })).not.toBe(e.session.hash);
    expect(eventHash({ ...e, session: { ...e.session, prevHash: 'f'.repeat(64) } })).not.toBe(e.session.hash);
  });

  test('sealToText gives the canonical JSON of the sealed event, also when other members hold session-like text', () => {
    const tricky: unknown[] = [
      {},
      { request: { query: { session: '{"id":"sess-1"}' } } },
      { request: { params: { session: { id: 'sess-1', prevHash: GENESIS_HASH, seq: 1 } } } },
      { aws: { resources: ['"session":{"id":"x"}'] }, reason: '"session":{' },
      { session: { id: 'sess-1', parent: 'parent-session' } },
    ];
    for (const extra of tricky) {
      // A fresh chain each time, so the nested object above is exactly the event's own session member.
      const { event, text } = new SessionChainer().sealToText({ ...unsealed(1), ...(extra as object) } as UnsealedEvent<SessionEndedEvent>);
      expect(text).toBe(canonicalJson(event));
      expect(event.session.hash).toBe(eventHash(event));
    }
  });

  test('sessions chain independently', () => {
    const a = sealedChain(2, 'a');
    const b = sealedChain(2, 'b');
    expect(b[0]?.session.seq).toBe(1);
    expect(a[1]?.session.hash).not.toBe(b[1]?.session.hash);
  });
});

describe('verifyChain finds tampering', () => {
  test('an edited event', () => {
    const events = sealedChain(4);
    (events[1] as SessionEndedEvent).reason = 'nothing happened';
    expect(kinds(events)).toEqual(['hash-mismatch@2']);
  });

  test('an edited event whose hash was recomputed breaks the next link', () => {
    const events = sealedChain(4);
    const e = events[1] as SessionEndedEvent;
    e.reason = 'nothing happened';
    e.session.hash = eventHash(e);
    expect(kinds(events)).toEqual(['prev-hash-mismatch@3']);
  });

  test('a deleted event', () => {
    const events = sealedChain(5);
    events.splice(2, 1);
    const breaks = verifyChain(events);
    expect(breaks.map((b) => `${b.kind}@${b.seq}`)).toEqual(['seq-gap@3']);
    expect(breaks[0]?.detail).toBe('seq 3 is missing');
    events.splice(1, 2);
    expect(verifyChain(events)[0]?.detail).toBe('seq 2–4 are missing');
  });

  test('reordered events: swapped in the listing, or with their seq numbers swapped', () => {
    const events = sealedChain(4);
    expect(kinds([events[0], events[2], events[1], events[3]] as AuditEvent[])).toEqual(['seq-gap@2', 'seq-duplicate@2']);
    const swapped = sealedChain(4);
    const [s1, s2] = [swapped[1] as AuditEvent, swapped[2] as AuditEvent];
    [s1.session.seq, s2.session.seq] = [s2.session.seq, s1.session.seq];
    expect(kinds([swapped[0], s2, s1, swapped[3]] as AuditEvent[])).toEqual([
      'hash-mismatch@2', 'prev-hash-mismatch@2', 'hash-mismatch@3', 'prev-hash-mismatch@3', 'prev-hash-mismatch@4',
    ]);
  });

  test('a duplicated event', () => {
    const events = sealedChain(3);
    expect(kinds([events[0], events[1], events[1], events[2]] as AuditEvent[])).toEqual(['seq-duplicate@2']);
  });

  test('an event from another session spliced in', () => {
    const events = sealedChain(3);
    const other = sealedChain(3, 'other');
    expect(kinds([events[0], { ...(other[1] as AuditEvent), session: { ...(other[1] as AuditEvent).session, id: 'sess-1' } }, events[2]] as AuditEvent[]))
      .toEqual(['hash-mismatch@2', 'prev-hash-mismatch@2', 'prev-hash-mismatch@3']);
  });
});

describe('verifyChain after retention removed the oldest events', () => {
  const events = sealedChain(6);
  const kept = events.slice(3);
  const anchor = { seq: 4, prevHash: (events[2] as AuditEvent).session.hash };

  test('the kept anchor (seq and prevHash of the first kept event) verifies the rest', () => {
    expect(verifyChain(kept, anchor)).toEqual([]);
  });

  test('a wrong anchor, or none, is reported', () => {
    expect(kinds(kept, { seq: 4, prevHash: GENESIS_HASH })).toEqual(['prev-hash-mismatch@4']);
    expect(kinds(kept)).toEqual(['seq-gap@1']);
  });

  test('tampering after the anchor is still found', () => {
    const copy = JSON.parse(JSON.stringify(kept)) as SessionEndedEvent[];
    (copy[1] as SessionEndedEvent).reason = 'edited';
    expect(kinds(copy, anchor)).toEqual(['hash-mismatch@5']);
  });
});
