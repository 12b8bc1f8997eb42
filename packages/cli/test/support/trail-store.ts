import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteAuditStore } from '@agentrail/collector';
import type { AuditEvent } from '@agentrail/core';
import { buildTrail } from './audit-trail.js';

/** A temporary directory with a real SQLite audit store in it. */
export interface TrailStore {
  dir: string;
  path: string;
  /** Stores more events, as the collector would (its own connection, committed on return). */
  insert(events: readonly AuditEvent[]): void;
  remove(): void;
}

/** Creates a store holding `events` (the fixture trail by default). */
export function createTrailStore(events: readonly AuditEvent[] = buildTrail()): TrailStore {
  const dir = mkdtempSync(join(tmpdir(), 'agentrail-cli-'));
  const path = join(dir, 'audit.db');
  const insert = (batch: readonly AuditEvent[]): void => {
    const store = SqliteAuditStore.open(path);
    try {
      const result = store.insert(batch);
      if (result.breaks.length > 0) throw new Error(`fixture events do not chain: ${JSON.stringify(result.breaks)}`);
    } finally {
      store.close();
    }
  };
  insert(events);
  return { dir, path, insert, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
