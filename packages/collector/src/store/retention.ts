import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { BlockCodec } from './block-codec.js';
import { keyAtMs, msOfKey } from './event-key.js';
import { msOf } from './query-time.js';
import { eventText } from './search-text.js';
import { SessionEntry, type SessionLedger } from './session-ledger.js';
import type { SessionRow } from './session-row.js';
import { DECISION_ALLOW, TYPE_AWS_CALL } from './sqlite-schema.js';
import { lineHash, parseStoredLine } from './stored-line.js';
import type { TermDictionary } from './term-dictionary.js';

interface Doomed {
  k: number;
  seq: number;
  type: number;
  op: number | null;
  decision: number | null;
  blk: number;
  pos: number;
}

/** Commit after about this many deleted events, so writers are not held off for long. */
const EVENTS_PER_TRANSACTION = 20_000;

/**
 * Retention: deletes events older than a time, per session, keeping every
 * remaining chain verifiable. A session keeps all events from the first seq
 * that is newer than the cut (so a clock that stepped back cannot punch a
 * hole in a chain); the deleted event just before it leaves its hash as the
 * session's anchor, which `verify` then expects as the first kept event's
 * prevHash. Index entries in the contentless FTS table are deleted by
 * re-deriving their text from the event (search-text.ts).
 */
export class Retention {
  private readonly candidates: StatementSync;
  private readonly firstKept: StatementSync;
  private readonly doomed: StatementSync;
  private readonly deleteEvents: StatementSync;
  private readonly deleteText: StatementSync;
  private readonly sessionRow: StatementSync;
  private readonly updateSession: StatementSync;
  private readonly firstKey: StatementSync;
  private readonly blockGone: StatementSync;
  private readonly dropBlocks: StatementSync;
  private readonly dropActor: StatementSync;
  private readonly dropSession: StatementSync[];

  constructor(
    private readonly db: DatabaseSync,
    private readonly codec: BlockCodec,
    private readonly terms: TermDictionary,
    private readonly ledger: SessionLedger,
  ) {
    this.candidates = db.prepare('SELECT sid FROM sessions WHERE first_ms < ?');
    this.firstKept = db.prepare('SELECT min(seq) AS seq FROM events INDEXED BY events_session WHERE sid = ? AND k >= ?');
    this.doomed = db.prepare('SELECT k, seq, type, op, decision, blk, pos FROM events INDEXED BY events_session WHERE sid = ? AND seq < ? ORDER BY seq');
    this.deleteEvents = db.prepare('DELETE FROM events WHERE sid = ? AND seq < ?');
    this.deleteText = db.prepare("INSERT INTO events_fts (events_fts, rowid, text) VALUES ('delete', ?, ?)");
    this.sessionRow = db.prepare('SELECT * FROM sessions WHERE sid = ?');
    this.updateSession = db.prepare(`UPDATE sessions SET n = ?, calls = ?, denied = ?, first_ms = ?, anchor_seq = ?, anchor_prev = ?,
      verified_seq = ?, verified_hash = ?, broken = ?, max_seq = ? WHERE sid = ?`);
    this.firstKey = db.prepare('SELECT k FROM events INDEXED BY events_session WHERE sid = ? ORDER BY seq LIMIT 1');
    this.blockGone = db.prepare('UPDATE blocks SET live = live - ? WHERE id = ?');
    this.dropBlocks = db.prepare('DELETE FROM blocks WHERE id = ? AND live <= 0');
    this.dropActor = db.prepare('DELETE FROM session_actors WHERE name = ? AND type = ? AND sid = ?');
    this.dropSession = [db.prepare('DELETE FROM sessions_fts WHERE rowid = ?'), db.prepare('DELETE FROM sessions WHERE sid = ?')];
  }

  prune(before: Date): { events: number; sessions: number } {
    const ms = msOf(before, 'before') as number;
    const cut = keyAtMs(ms);
    const sids = (this.candidates.all(ms) as { sid: number }[]).map((r) => r.sid);
    let events = 0;
    let sessions = 0;
    let inTransaction = 0;
    const blocks = new Map<number, number>();
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const sid of sids) {
        const row = this.sessionRow.get(sid) as SessionRow | undefined;
        if (row === undefined) continue; // pruned by another process meanwhile
        const kept = (this.firstKept.get(sid, cut) as { seq: number | null }).seq;
        const removed = this.pruneSession(row, kept, blocks);
        events += removed;
        inTransaction += removed;
        if (kept === null) sessions += 1;
        if (inTransaction >= EVENTS_PER_TRANSACTION) {
          this.finishBlocks(blocks);
          this.db.exec('COMMIT');
          this.db.exec('BEGIN IMMEDIATE');
          inTransaction = 0;
        }
      }
      this.finishBlocks(blocks);
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK'); // SQLite may have rolled back already (disk full, I/O error)
      this.terms.discard();
      throw err;
    } finally {
      this.codec.forget();
      this.ledger.forget(); // this connection changed session rows: the writer's cache is stale
    }
    if (events > 0) this.db.exec('PRAGMA incremental_vacuum');
    return { events, sessions };
  }

  /** Deletes a session's events below seq `kept` (all of them when null); returns how many. */
  private pruneSession(row: SessionRow, kept: number | null, blocks: Map<number, number>): number {
    const limit = kept ?? Number.MAX_SAFE_INTEGER;
    const doomed = this.doomed.all(row.sid, limit) as unknown as Doomed[];
    // Nothing older than the cut below the first kept seq (a clock that stepped back): keep the anchor as it is.
    if (doomed.length === 0 && kept !== null) return 0;
    let calls = 0;
    let denied = 0;
    let anchorPrev: string | undefined;
    for (const d of doomed) {
      const line = this.codec.line(d.blk, d.pos);
      const text = eventText(parseStoredLine(line));
      if (text !== '') this.deleteText.run(d.k, text);
      blocks.set(d.blk, (blocks.get(d.blk) ?? 0) + 1);
      this.terms.count('type', d.type, -1);
      if (d.op !== null) this.terms.count('op', d.op, -1);
      if (d.decision !== null) this.terms.count('decision', d.decision, -1);
      if (d.type === TYPE_AWS_CALL) {
        calls += 1;
        if (d.decision !== DECISION_ALLOW) denied += 1;
      }
      if (kept !== null && d.seq === kept - 1) anchorPrev = lineHash(line);
    }
    this.deleteEvents.run(row.sid, limit);
    if (kept === null) {
      for (const a of JSON.parse(row.chain) as { type: string; name: string }[]) this.dropActor.run(a.name, a.type, row.sid);
      for (const stmt of this.dropSession) stmt.run(row.sid);
      return doomed.length;
    }
    const r: SessionRow = { ...row, n: row.n - doomed.length, calls: row.calls - calls, denied: row.denied - denied };
    const firstKey = (this.firstKey.get(row.sid) as { k: number }).k;
    r.first_ms = msOfKey(firstKey);
    r.anchor_seq = kept;
    // Without the event just before `kept` (already missing), the first kept event's own prevHash is all there is.
    r.anchor_prev = anchorPrev ?? (this.ledger.stored.link(row.sid, kept)?.prevHash ?? r.anchor_prev);
    if (r.verified_seq < kept - 1) {
      r.verified_seq = kept - 1;
      r.verified_hash = r.anchor_prev;
    }
    const entry = new SessionEntry(r);
    entry.settle(this.ledger.stored); // a gap that retention removed may let the frontier walk on
    this.updateSession.run(r.n, r.calls, r.denied, r.first_ms, r.anchor_seq, r.anchor_prev, r.verified_seq, r.verified_hash, r.broken, r.max_seq, r.sid);
    return doomed.length;
  }

  private finishBlocks(blocks: Map<number, number>): void {
    for (const [blk, n] of blocks) {
      this.blockGone.run(n, blk);
      this.dropBlocks.run(blk);
    }
    blocks.clear();
    this.terms.flush();
  }
}
