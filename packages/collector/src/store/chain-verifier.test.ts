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
let s: TestSession;
let other: TestSession;
let events: AuditEvent[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentrail-verify-'));
  path = join(dir, 'audit.db');
  store = SqliteAuditStore.open(path);
  const trail = new TrailBuilder();
  s = trail.session();
  other = trail.session();
  events = [s.started()];
  for (let i = 0; i < 8; i++) events.push(s.call({ decision: i === 3 ? 'Deny' : 'Allow' }), other.call());
  events.push(s.ended());
  store.insert(events);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const ofS = (seq: number): AuditEvent => events.find((e) => e.session.id === s.id && e.session.seq === seq) as AuditEvent;

describe('verify', () => {
  it('finds nothing wrong with an untouched store and reports its progress', () => {
    const progress: [number, number][] = [];
    const report = store.verify({ onProgress: (done, total) => progress.push([done, total]) });
    expect(report).toEqual({ sessions: 2, events: 18, breaks: [] });
    expect(progress.at(-1)).toEqual([18, 18]);
  });

  it('names the session and seq of an event whose stored JSON was edited', () => {
    const raw = new RawStore(path);
    raw.editEvent(ofS(5).id, (e) => {
      (e.decision as { action: string }).action = 'Allow'; // seq 5 was the Deny
    });
    raw.close();
    expect(store.verify().breaks).toEqual([
      { session: s.id, seq: 5, eventId: ofS(5).id, kind: 'hash-mismatch', detail: 'the event was changed after it was sealed' },
    ]);
    expect(store.verify({ session: other.id }).breaks).toEqual([]);
  });

  it('reports a deleted event as a gap in its session', () => {
    const raw = new RawStore(path);
    raw.deleteEvent(ofS(4).id);
    raw.close();
    expect(store.verify().breaks).toEqual([{ session: s.id, seq: 4, kind: 'seq-gap', detail: 'seq 4 is missing' }]);
    expect(store.verify({ session: s.id }).breaks).toEqual([{ session: s.id, seq: 4, kind: 'seq-gap', detail: 'seq 4 is missing' }]);
  });

  it('reports deleted last events, which leave no hole between stored ones', () => {
    const raw = new RawStore(path);
    raw.deleteEvent(ofS(10).id);
    raw.deleteEvent(ofS(9).id);
    raw.close();
    expect(store.verify().breaks).toEqual([{ session: s.id, seq: 9, kind: 'seq-gap', detail: 'seq 9–10 are missing' }]);
  });

  it('reports an event whose block can no longer be read', () => {
    const raw = new RawStore(path);
    raw.db.prepare('UPDATE blocks SET data = ? WHERE id = (SELECT blk FROM events LIMIT 1)').run(Buffer.from('not zstd'));
    raw.close();
    const breaks = store.verify().breaks;
    expect(breaks.length).toBeGreaterThan(0);
    expect(breaks.every((b) => b.kind === 'hash-mismatch' && b.detail.includes('cannot be read'))).toBe(true);
  });
});
