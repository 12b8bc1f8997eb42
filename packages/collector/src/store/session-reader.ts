import type { AuditEvent } from '@agentrail/core';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { pageLimit, type SessionQuery, type SessionSummary, type SessionTree } from './audit-store.js';
import type { BlockCodec } from './block-codec.js';
import { msOf } from './query-time.js';
import { MAX_TREE_DEPTH, type SessionFinder } from './session-finder.js';
import { summaryOf, type SessionRow } from './session-row.js';
import { parseStoredLine } from './stored-line.js';

/** A tree is for people to read: beyond these sizes, use search with `session` and `includeDescendants`. */
export const MAX_TREE_SESSIONS = 1_000;
export const MAX_TREE_EVENTS = 10_000;
/** However large the tree, each session shows at least its first events. */
const MIN_EVENTS_PER_SESSION = 50;

/** The sessions list, one session, and session trees. */
export class SessionReader {
  private readonly byId: StatementSync;
  private readonly treeRows: StatementSync;
  private readonly eventsOf: StatementSync;

  constructor(private readonly db: DatabaseSync, private readonly codec: BlockCodec, private readonly finder: SessionFinder) {
    this.byId = db.prepare('SELECT * FROM sessions WHERE id = ?');
    this.treeRows = db.prepare(`WITH RECURSIVE tree (id, depth) AS (
        SELECT id, 0 FROM sessions WHERE id = ?
        UNION SELECT s.id, t.depth + 1 FROM sessions s JOIN tree t ON s.parent = t.id WHERE t.depth < ${MAX_TREE_DEPTH}
      ) SELECT sessions.* FROM tree JOIN sessions USING (id) ORDER BY tree.depth, sessions.first_ms LIMIT ${MAX_TREE_SESSIONS}`);
    this.eventsOf = db.prepare('SELECT blk, pos FROM events INDEXED BY events_session WHERE sid = ? ORDER BY seq LIMIT ?');
  }

  /** Sessions passing the filters, most recently active first. A session matches a time range it overlaps. */
  sessions(query: SessionQuery): SessionSummary[] {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    const sids = this.finder.find(query);
    if (sids !== undefined) {
      if (sids.size === 0) return [];
      where.push('sid IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify([...sids]));
    }
    const since = msOf(query.since, 'since');
    const until = msOf(query.until, 'until');
    if (since !== undefined) { where.push('last_ms >= ?'); params.push(since); }
    if (until !== undefined) { where.push('first_ms < ?'); params.push(until); }
    if (query.rootsOnly === true) where.push('parent IS NULL');
    const limit = pageLimit(query.limit);
    const sql = `SELECT * FROM sessions ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY last_ms DESC LIMIT ${limit}`;
    return (this.db.prepare(sql).all(...params) as unknown as SessionRow[]).map(summaryOf);
  }

  session(id: string): SessionSummary | undefined {
    const row = this.byId.get(id) as SessionRow | undefined;
    return row === undefined ? undefined : summaryOf(row);
  }

  /**
   * The session, its delegations recursively (up to 1,000 sessions, 64 levels)
   * and each session's events in seq order — its first ones when the tree
   * would exceed 10,000 events, at least 50 per session.
   */
  tree(id: string): SessionTree | undefined {
    const rows = this.treeRows.all(id) as unknown as SessionRow[];
    if (rows.length === 0) return undefined;
    const perSession = Math.max(MIN_EVENTS_PER_SESSION, Math.floor(MAX_TREE_EVENTS / rows.length));
    const nodes = new Map<string, SessionTree>();
    for (const row of rows) {
      const events: AuditEvent[] = [];
      for (const e of this.eventsOf.iterate(row.sid, perSession) as Iterable<{ blk: number; pos: number }>) {
        events.push(parseStoredLine(this.codec.line(e.blk, e.pos)));
      }
      const node: SessionTree = { session: summaryOf(row), events, children: [] };
      nodes.set(row.id, node);
      if (row.parent !== null && nodes.has(row.parent) && row.id !== id) nodes.get(row.parent)?.children.push(node);
    }
    return nodes.get(id);
  }
}
