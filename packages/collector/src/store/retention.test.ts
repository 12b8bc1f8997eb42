import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent } from '@agentrail/core';
import { SqliteAuditStore } from './sqlite-audit-store.js';
import { RawStore } from './testing/raw-store.js';
import { TrailBuilder, type TestSession } from './testing/trail-builder.js';

let dir: string;
let path: string;
let store: SqliteAuditStore;
let trail: TrailBuilder;
let old: TestSession;
let spanning: TestSession;
let fresh: TestSession;
const start = Date.UTC(2026, 4, 1, 12);
const minute = (n: number): Date => new Date(start + n * 60_000);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentrail-prune-'));
  path = join(dir, 'audit.db');
  store = SqliteAuditStore.open(path);
  trail = new TrailBuilder(start, 60_000);
  old = trail.session({ initiator: 'olga@example.com' });
  spanning = trail.session();
  // Minutes 0–9: old's whole life and spanning's first half; 10–14: spanning's second half; then fresh.
  const events: AuditEvent[] = [old.started(), spanning.started()];
  for (let i = 0; i < 3; i++) events.push(old.call({ responseText: 'archived lifecycle record' }), spanning.call({ decision: i === 0 ? 'Deny' : 'Allow' }));
  events.push(old.ended(), spanning.call());
  for (let i = 0; i < 5; i++) events.push(spanning.call({ responseText: 'recent lifecycle record' }));
  fresh = trail.session();
  events.push(fresh.started(), fresh.call());
  store.insert(events);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('prune', () => {
  it('removes old events and emptied sessions, and the rest still verifies from its anchor', () => {
    expect(store.prune(minute(10))).toEqual({ events: 10, sessions: 1 });
    expect(store.session(old.id)).toBeUndefined();
    expect(store.search({ initiator: 'olga@example.com' }).events).toEqual([]);
    expect(store.session(spanning.id)).toMatchObject({ firstTime: minute(10).toISOString(), calls: 5, denied: 0, maxSeq: 10, verifiedSeq: 10, chainStatus: 'intact' });
    expect(store.search({ session: spanning.id, order: 'asc' }).events.map((e) => e.session.seq)).toEqual([6, 7, 8, 9, 10]);
    expect(store.verify()).toEqual({ sessions: 2, events: 7, breaks: [] });
  });

  it('leaves no trace of pruned events in free-text search or its index', () => {
    store.prune(minute(10));
    expect(store.search({ text: 'archived' }).events).toEqual([]);
    expect(store.search({ text: 'lifecycle' }).events).toHaveLength(5);
    const raw = new RawStore(path);
    expect(raw.db.prepare("SELECT count(*) AS n FROM events_fts WHERE events_fts MATCH 'archived'").get()).toEqual({ n: 0 });
    expect(raw.db.prepare('SELECT count(*) AS n FROM blocks WHERE live <= 0').get()).toEqual({ n: 0 });
    raw.close();
  });

  it('still detects tampering with the first kept event, through the anchor', () => {
    store.prune(minute(10));
    const first = store.search({ session: spanning.id, order: 'asc', limit: 1 }).events[0] as AuditEvent;
    const raw = new RawStore(path);
    raw.deleteEvent(first.id);
    raw.close();
    expect(store.verify().breaks).toEqual([{ session: spanning.id, seq: 6, kind: 'seq-gap', detail: 'seq 6 is missing' }]);
  });

  it('keeps a chain whole when a clock stepped back: an old event after a kept one stays', () => {
    const s = new TrailBuilder(Date.UTC(2026, 4, 2, 12), 60_000).session();
    const first = s.started(); // 12:00
    s.moveTo(new TrailBuilder(Date.UTC(2026, 4, 2, 11, 30), 60_000)); // restarted where the clock is half an hour behind
    const second = s.call(); // 11:30, though sealed after `first`
    store.insert([first, second]);
    // Everything of the day before goes; of this session, nothing: its first seq is newer than the cut.
    expect(store.prune(new Date(Date.UTC(2026, 4, 2, 11, 45)))).toEqual({ events: 17, sessions: 3 });
    expect(store.search({ session: s.id }).events).toHaveLength(2);
    expect(store.session(s.id)).toMatchObject({ maxSeq: 2, verifiedSeq: 2, chainStatus: 'intact' });
    expect(store.verify({ session: s.id }).breaks).toEqual([]);
  });

  it('is a no-op for a time before everything, and prunes everything after the last event', () => {
    expect(store.prune(minute(-5))).toEqual({ events: 0, sessions: 0 });
    expect(store.prune(minute(60))).toEqual({ events: 17, sessions: 3 });
    expect(store.sessions({})).toEqual([]);
    expect(store.verify()).toEqual({ sessions: 0, events: 0, breaks: [] });
    // The store keeps working: a late event of a pruned session starts it again, with a gap.
    store.insert([spanning.call()]);
    expect(store.session(spanning.id)).toMatchObject({ maxSeq: 11, verifiedSeq: 0, chainStatus: 'gap' });
  });
});
