import { describe, expect, it, afterEach } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { AuditEvent } from '@agentrail/core';
import { SqliteAuditStore } from './sqlite-audit-store.js';
import { AuditStoreError } from './store-error.js';
import { TestSession, TrailBuilder } from './testing/trail-builder.js';

const dirs: string[] = [];
function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentrail-store-'));
  dirs.push(dir);
  return join(dir, 'nested', 'audit.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SqliteAuditStore insert', () => {
  it('stores events once: a redelivered batch and a duplicate inside a batch are counted, not stored again', () => {
    const store = SqliteAuditStore.open(':memory:');
    const trail = new TrailBuilder();
    const s = trail.session();
    const batch = [s.started(), s.call(), s.call({ decision: 'Deny' })];
    expect(store.insert(batch)).toEqual({ inserted: 3, duplicates: 0, breaks: [] });
    expect(store.insert(batch)).toEqual({ inserted: 0, duplicates: 3, breaks: [] });
    const next = s.call();
    expect(store.insert([next, next])).toEqual({ inserted: 1, duplicates: 1, breaks: [] });
    expect(store.search({}).events).toHaveLength(4);
    expect(store.session(s.id)).toMatchObject({ calls: 3, denied: 1, maxSeq: 4, verifiedSeq: 4, chainStatus: 'intact' });
    store.close();
  });

  it('gives back exactly what was stored', () => {
    const store = SqliteAuditStore.open(':memory:');
    const s = new TrailBuilder().session();
    const events: AuditEvent[] = [s.started(), s.call({ responseText: '{"Name":"café \\"quoted\\" ☃"}', errorCode: 'NoSuchKey' }), s.ended()];
    store.insert(events);
    expect(store.search({ order: 'asc' }).events).toEqual(events);
    expect([...store.events()]).toEqual(events);
    store.close();
  });

  it('heals a gap when late events arrive out of order', () => {
    const store = SqliteAuditStore.open(':memory:');
    const s = new TrailBuilder().session();
    const e = [s.started(), s.call(), s.call(), s.call(), s.call()];
    expect(store.insert([e[0]!, e[1]!, e[4]!]).breaks).toEqual([]);
    expect(store.session(s.id)).toMatchObject({ maxSeq: 5, verifiedSeq: 2, chainStatus: 'gap' });
    expect(store.insert([e[3]!]).breaks).toEqual([]);
    expect(store.session(s.id)).toMatchObject({ maxSeq: 5, verifiedSeq: 2, chainStatus: 'gap' });
    expect(store.insert([e[2]!]).breaks).toEqual([]);
    expect(store.session(s.id)).toMatchObject({ maxSeq: 5, verifiedSeq: 5, chainStatus: 'intact' });
    expect(store.verify().breaks).toEqual([]);
    store.close();
  });

  it('reports an event changed in transit and keeps the session broken', () => {
    const store = SqliteAuditStore.open(':memory:');
    const s = new TrailBuilder().session();
    const first = s.started();
    const changed = s.call({ decision: 'Deny' });
    changed.decision.action = 'Allow'; // after sealing
    const r = store.insert([first, changed]);
    expect(r.inserted).toBe(2);
    expect(r.breaks).toEqual([expect.objectContaining({ session: s.id, seq: 2, eventId: changed.id, kind: 'hash-mismatch' })]);
    store.insert([s.call()]);
    expect(store.session(s.id)?.chainStatus).toBe('broken');
    store.close();
  });

  it('reports a link that does not follow, even when it only shows once a gap is filled', () => {
    const store = SqliteAuditStore.open(':memory:');
    const trail = new TrailBuilder();
    const s = trail.session();
    const [a, b] = [s.started(), s.call()];
    const forged = trail.session().call(); // sealed on another chain, then relabelled as seq 3 of s
    const c = { ...forged, session: { ...forged.session, id: s.id, seq: 3 } } as AuditEvent;
    expect(store.insert([a, c]).breaks.map((x) => x.kind)).toEqual(['hash-mismatch']);
    expect(store.insert([b]).breaks).toEqual([expect.objectContaining({ seq: 3, kind: 'prev-hash-mismatch' })]);
    expect(store.session(s.id)).toMatchObject({ verifiedSeq: 3, chainStatus: 'broken' });
    store.close();
  });

  it('reports a second event with a seq already used', () => {
    const store = SqliteAuditStore.open(':memory:');
    const trail = new TrailBuilder();
    const s = trail.session();
    store.insert([s.started(), s.call()]);
    // A second writer chaining the same session from scratch: a correctly sealed seq 1 under a new id.
    const again = new TestSession(trail, s.id, undefined, s.initiator, s.chain, s.namespace, s.pod).call();
    expect(store.insert([again]).breaks).toEqual([expect.objectContaining({ session: s.id, seq: 1, kind: 'seq-duplicate', eventId: again.id })]);
    expect(store.session(s.id)?.chainStatus).toBe('broken');
    expect(store.verify().breaks).toEqual([expect.objectContaining({ session: s.id, seq: 1, kind: 'seq-duplicate' })]);
    store.close();
  });

  it('refuses a batch with a malformed event, naming it, and writes nothing of the batch', () => {
    const store = SqliteAuditStore.open(':memory:');
    const s = new TrailBuilder().session();
    const good = s.started();
    const bad = { ...s.call(), id: 'not-a-ulid' } as AuditEvent;
    let caught: unknown;
    try {
      store.insert([good, bad]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AuditStoreError);
    expect(caught).toMatchObject({ code: 'AUDIT_STORE_EVENT_INVALID', eventIds: ['not-a-ulid'] });
    expect(store.search({}).events).toEqual([]);
    expect(store.sessions({})).toEqual([]);
    store.close();
  });

  it('keeps the sessions view: who, where, counts, end', () => {
    const store = SqliteAuditStore.open(':memory:');
    const trail = new TrailBuilder(Date.UTC(2026, 4, 1, 12), 1_000);
    const root = trail.session({ initiator: 'bob@example.com', namespace: 'ci', pod: 'runner-1' });
    const child = trail.session({ parent: root, agent: 's3-cleanup' });
    store.insert([root.started(), root.call(), child.started(), child.call({ decision: 'RequireApproval' }), child.ended()]);
    expect(store.session(child.id)).toEqual({
      id: child.id, parent: root.id, initiator: 'bob@example.com',
      chain: [{ type: 'User', name: 'bob@example.com' }, { type: 'Pod', name: 'ci/runner-1' }, { type: 'Agent', name: 's3-cleanup' }],
      cluster: 'test', namespace: 'ci', pod: 'runner-1',
      firstTime: '2026-05-01T12:00:02.000Z', lastTime: '2026-05-01T12:00:04.000Z',
      calls: 1, denied: 1, ended: true, maxSeq: 3, verifiedSeq: 3, chainStatus: 'intact',
    });
    expect(store.session(root.id)).toMatchObject({ calls: 1, denied: 0, ended: false });
    expect(store.session('no-such-session')).toBeUndefined();
    store.close();
  });

  it('creates the directory and a versioned schema, reopens it, and refuses a newer one', () => {
    const path = tempPath();
    const s = new TrailBuilder().session();
    const store = SqliteAuditStore.open(path);
    store.insert([s.started()]);
    store.close();
    store.close(); // twice is fine
    expect(() => store.search({})).toThrow(expect.objectContaining({ code: 'AUDIT_STORE_CLOSED' }));
    const raw = new DatabaseSync(path);
    expect(raw.prepare('PRAGMA user_version').get()).toEqual({ user_version: 1 });
    expect(raw.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    raw.close();
    const again = SqliteAuditStore.open(path);
    expect(again.search({}).events).toHaveLength(1);
    again.close();
    const newer = new DatabaseSync(path);
    newer.exec('PRAGMA user_version = 99');
    newer.close();
    expect(() => SqliteAuditStore.open(path)).toThrow(expect.objectContaining({ code: 'AUDIT_STORE_SCHEMA_TOO_NEW' }));
  });

  it('returns the session tree with nested delegations and events in seq order', () => {
    const store = SqliteAuditStore.open(':memory:');
    const trail = new TrailBuilder();
    const root = trail.session();
    const child = trail.session({ parent: root, agent: 'sweeper' });
    const grandchild = trail.session({ parent: child, agent: 's3-cleanup' });
    const other = trail.session();
    const rootEvents = [root.started(), root.call()];
    const childEvents = [child.started(), child.call(), child.ended()];
    const grandEvents = [grandchild.started(), grandchild.call({ decision: 'Deny' })];
    // Arrival order is not seq order: the tree still lists each session's events by seq.
    store.insert([grandEvents[1]!, childEvents[2]!, other.started(), rootEvents[1]!, grandEvents[0]!, childEvents[0]!, childEvents[1]!, rootEvents[0]!]);
    const tree = store.tree(root.id);
    expect(tree?.session.id).toBe(root.id);
    expect(tree?.events).toEqual(rootEvents);
    expect(tree?.children.map((c) => c.session.id)).toEqual([child.id]);
    expect(tree?.children[0]?.events).toEqual(childEvents);
    expect(tree?.children[0]?.children[0]?.session).toMatchObject({ id: grandchild.id, parent: child.id, denied: 1 });
    expect(tree?.children[0]?.children[0]?.events).toEqual(grandEvents);
    expect(store.tree(child.id)?.children.map((c) => c.session.id)).toEqual([grandchild.id]);
    expect(store.tree('missing')).toBeUndefined();
    store.close();
  });
});
