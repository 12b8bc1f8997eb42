import type { DatabaseSync } from 'node:sqlite';
import { AuditStoreError } from './store-error.js';

/** `PRAGMA user_version` of the schema below. Each later version adds one entry to MIGRATIONS. */
export const SCHEMA_VERSION = 1;

/** Fixed ids (partial indexes below name them): the common cases are left out of those indexes. */
export const TYPE_AWS_CALL = 1;
export const DECISION_ALLOW = 1;

/**
 * Schema 1. Bytes per event at rest, indexes included, at 1 M realistic
 * 1.4 KB events (bench/collector.mjs): ~410 — blocks 259, events_fts 82,
 * events 28, events_session 22, events_op 17, the rest < 2.
 *
 * - `events`: one narrow row per event: a time-ordered integer key
 *   (event-key.ts) and the columns filters need, as small integers. The
 *   event itself lives in `blocks` (block-codec.ts), found by block id and
 *   line number.
 * - Secondary indexes end in the key, so each is in time order for one
 *   value: `events_session` (chain order and session filters),
 *   `events_op` (service / operation), and two partial indexes holding only
 *   the rare values — calls that were not allowed, events that are not calls.
 *   The common values (Allow, aws.call) are found by scanning in time order.
 * - `terms`: dictionaries of operation, type and decision names, with counts
 *   the search planner uses to choose between an index and a scan.
 * - `sessions` (+ `session_actors`, `sessions_fts`): the sessions view, the
 *   per-session chain state (max seq, verified seq and hash, anchor after
 *   retention) and what session-level filters (initiator, chain member,
 *   namespace) search, so those never scan events.
 * - `events_fts`: contentless, detail=none (see search-text.ts). Each
 *   batch's commit writes a segment; `automerge` 16 (default 4) merges 16
 *   segments of a level at a time, so each entry is rewritten about half as
 *   often: FTS5 costs ~25% less per event (3.2 instead of 4.3 µs measured
 *   on bench events alone) for ~3 B/event more and more segments a query
 *   visits (free-text p50 3.8 ms at 1 M events, 3.1 ms with 4).
 */
const SCHEMA_1 = `
CREATE TABLE terms (
  kind TEXT NOT NULL,
  id INTEGER NOT NULL,
  name TEXT NOT NULL,
  n INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (kind, id),
  UNIQUE (kind, name)
) WITHOUT ROWID;
INSERT INTO terms (kind, id, name) VALUES
  ('type', ${TYPE_AWS_CALL}, 'aws.call'), ('type', 2, 'session.started'), ('type', 3, 'session.ended'), ('type', 4, 'audit.degraded'),
  ('decision', ${DECISION_ALLOW}, 'Allow'), ('decision', 2, 'Deny'), ('decision', 3, 'RequireApproval');

CREATE TABLE sessions (
  sid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  parent TEXT,
  initiator TEXT NOT NULL,
  chain TEXT NOT NULL,
  cluster TEXT,
  namespace TEXT,
  pod TEXT,
  host TEXT,
  first_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  n INTEGER NOT NULL DEFAULT 0,
  calls INTEGER NOT NULL DEFAULT 0,
  denied INTEGER NOT NULL DEFAULT 0,
  ended INTEGER NOT NULL DEFAULT 0,
  max_seq INTEGER NOT NULL DEFAULT 0,
  verified_seq INTEGER NOT NULL DEFAULT 0,
  verified_hash TEXT NOT NULL,
  broken INTEGER NOT NULL DEFAULT 0,
  anchor_seq INTEGER NOT NULL DEFAULT 1,
  anchor_prev TEXT NOT NULL
);
CREATE INDEX sessions_parent ON sessions (parent) WHERE parent IS NOT NULL;
CREATE INDEX sessions_initiator ON sessions (initiator, last_ms);
CREATE INDEX sessions_namespace ON sessions (namespace, last_ms) WHERE namespace IS NOT NULL;
CREATE INDEX sessions_last ON sessions (last_ms);
CREATE TABLE session_actors (
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  sid INTEGER NOT NULL,
  PRIMARY KEY (name, type, sid)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE sessions_fts USING fts5 (text, tokenize = 'unicode61 remove_diacritics 2');

CREATE TABLE blocks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  live INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE TABLE events (
  k INTEGER PRIMARY KEY,
  sid INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  type INTEGER NOT NULL,
  op INTEGER,
  decision INTEGER,
  blk INTEGER NOT NULL,
  pos INTEGER NOT NULL
);
CREATE INDEX events_session ON events (sid, seq);
CREATE INDEX events_op ON events (op) WHERE op IS NOT NULL;
CREATE INDEX events_type ON events (type) WHERE type <> ${TYPE_AWS_CALL};
CREATE INDEX events_decision ON events (decision) WHERE decision <> ${DECISION_ALLOW};
CREATE VIRTUAL TABLE events_fts USING fts5 (
  text, content = '', columnsize = 0, detail = none, tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO events_fts (events_fts, rank) VALUES ('automerge', 16);
`;

/** MIGRATIONS[v] brings a store at user_version v to v + 1. */
const MIGRATIONS: readonly string[] = [SCHEMA_1];

/**
 * Creates or upgrades the schema. Runs in an IMMEDIATE transaction and reads
 * the version inside it, so two processes opening a new file at once do not
 * both create it.
 */
export function migrate(db: DatabaseSync): void {
  const version = (): number => (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  if (version() === SCHEMA_VERSION) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    let v = version();
    if (v > SCHEMA_VERSION) {
      throw new AuditStoreError('AUDIT_STORE_SCHEMA_TOO_NEW', `the audit store has schema ${v}; this AgentRail reads up to ${SCHEMA_VERSION}`);
    }
    for (; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] as string);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec('COMMIT');
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
