import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { AuditEvent } from '@agentrail/core';
import { SqliteAuditStore } from './sqlite-audit-store.js';
import { TrailBuilder } from './testing/trail-builder.js';

let dir: string;
let path: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentrail-concurrent-'));
  path = join(dir, 'audit.db');
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** Another process that takes the write lock of the file and holds it for `ms`. */
async function holdWriteLock(ms: number): Promise<ChildProcess> {
  const script = `const { DatabaseSync } = require('node:sqlite');
    const db = new DatabaseSync(${JSON.stringify(path)});
    db.exec('BEGIN IMMEDIATE'); console.log('locked');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${ms});`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await once(child.stdout as NodeJS.ReadableStream, 'data');
  return child;
}

describe('several writers on one file', () => {
  it('two stores interleaving batches of the same sessions keep one intact chain and one count', () => {
    const a = SqliteAuditStore.open(path);
    const b = SqliteAuditStore.open(path);
    const trail = new TrailBuilder();
    const shared = trail.session();
    const own = trail.session({ initiator: 'bob@example.com' });
    const events: AuditEvent[] = [shared.started(), own.started()];
    for (let i = 0; i < 40; i++) events.push(shared.call(), own.call({ decision: i % 10 === 0 ? 'Deny' : 'Allow' }));
    for (let i = 0; i < events.length; i += 6) (i % 12 === 0 ? a : b).insert(events.slice(i, i + 6));
    // Each store sees the other's writes, including redeliveries it never saw itself.
    expect(a.insert(events.slice(0, 12))).toMatchObject({ inserted: 0, duplicates: 12 });
    for (const store of [a, b]) {
      expect(store.session(shared.id)).toMatchObject({ calls: 40, maxSeq: 41, verifiedSeq: 41, chainStatus: 'intact' });
      expect(store.session(own.id)).toMatchObject({ calls: 40, denied: 4 });
      expect(store.search({ limit: 1000 }).events).toHaveLength(82);
      expect(store.verify().breaks).toEqual([]);
    }
    a.close();
    b.close();
  });

  it('a writer waits for another process holding the lock, within its busy timeout', async () => {
    const store = SqliteAuditStore.open(path);
    const s = new TrailBuilder().session();
    const child = await holdWriteLock(300);
    const t0 = Date.now();
    expect(store.insert([s.started()]).inserted).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    await once(child, 'exit');
    store.close();
  });

  it('gives up after its busy timeout and keeps nothing of the batch', async () => {
    const store = SqliteAuditStore.open(path, { busyTimeoutMs: 50 });
    const s = new TrailBuilder().session();
    const child = await holdWriteLock(400);
    expect(() => store.insert([s.started()])).toThrow(/locked|busy/i);
    await once(child, 'exit');
    expect(store.search({}).events).toEqual([]);
    expect(store.insert([s.started()]).inserted).toBe(1);
    store.close();
  });
});
