import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { ftsExpression, hasPhrase, tokenize, type Phrase } from './search-text.js';

/** Session-level filters, shared by event search and the sessions list. */
export interface SessionFilters {
  initiator?: string;
  agent?: string;
  chainMember?: string;
  namespace?: string;
  session?: string;
  includeDescendants?: boolean;
}

const ACTOR_TYPES = new Set(['User', 'ServiceAccount', 'Pod', 'Host', 'Agent']);
/** How deep delegation trees are followed: far beyond real nesting, and a stop for cycles of bad data. */
export const MAX_TREE_DEPTH = 64;

/** `Pod agents/planner` → type and name; `Agent "s3-cleanup"` as the chain is printed; or just a name. */
export function parseChainMember(member: string): { type?: string; name: string } {
  const space = member.indexOf(' ');
  if (space > 0 && ACTOR_TYPES.has(member.slice(0, space))) {
    const name = member.slice(space + 1).trim();
    return { type: member.slice(0, space), name: name.length > 1 && name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1) : name };
  }
  return { name: member };
}

/**
 * Resolves session-level filters to session row ids through the sessions
 * table and its indexes (initiator, namespace, parent) and `session_actors`
 * — never by reading events.
 */
export class SessionFinder {
  private readonly byInitiator: StatementSync;
  private readonly byNamespace: StatementSync;
  private readonly byActor: StatementSync;
  private readonly byActorType: StatementSync;
  private readonly byId: StatementSync;
  private readonly tree: StatementSync;
  private readonly textMatch: StatementSync;
  private readonly textAll: StatementSync;
  private readonly stats: StatementSync;

  constructor(db: DatabaseSync) {
    this.byInitiator = db.prepare('SELECT sid FROM sessions WHERE initiator = ?');
    this.byNamespace = db.prepare('SELECT sid FROM sessions WHERE namespace = ?');
    this.byActor = db.prepare('SELECT sid FROM session_actors WHERE name = ?');
    this.byActorType = db.prepare('SELECT sid FROM session_actors WHERE name = ? AND type = ?');
    this.byId = db.prepare('SELECT sid FROM sessions WHERE id = ?');
    this.tree = db.prepare(`WITH RECURSIVE tree (id, depth) AS (
        SELECT id, 0 FROM sessions WHERE id = ?
        UNION SELECT s.id, t.depth + 1 FROM sessions s JOIN tree t ON s.parent = t.id WHERE t.depth < ${MAX_TREE_DEPTH}
      ) SELECT sessions.sid FROM tree JOIN sessions USING (id)`);
    this.textMatch = db.prepare('SELECT rowid AS sid, text FROM sessions_fts WHERE sessions_fts MATCH ?');
    this.textAll = db.prepare('SELECT rowid AS sid, text FROM sessions_fts');
    this.stats = db.prepare(`SELECT coalesce(sum(n), 0) AS events, min(first_ms) AS firstMs, max(last_ms) AS lastMs
      FROM sessions WHERE sid IN (SELECT value FROM json_each(?))`);
  }

  /** Sessions passing every session-level filter given; undefined when none is given. */
  find(f: SessionFilters): Set<number> | undefined {
    const sets: Iterable<{ sid: number }>[] = [];
    if (f.session !== undefined) sets.push((f.includeDescendants === true ? this.tree : this.byId).iterate(f.session) as Iterable<{ sid: number }>);
    if (f.initiator !== undefined) sets.push(this.byInitiator.iterate(f.initiator) as Iterable<{ sid: number }>);
    if (f.namespace !== undefined) sets.push(this.byNamespace.iterate(f.namespace) as Iterable<{ sid: number }>);
    if (f.agent !== undefined) sets.push(this.byActorType.iterate(f.agent, 'Agent') as Iterable<{ sid: number }>);
    if (f.chainMember !== undefined) {
      const m = parseChainMember(f.chainMember);
      sets.push((m.type === undefined ? this.byActor.iterate(m.name) : this.byActorType.iterate(m.name, m.type)) as Iterable<{ sid: number }>);
    }
    let result: Set<number> | undefined;
    for (const rows of sets) {
      const next = new Set<number>();
      for (const { sid } of rows) if (result === undefined || result.has(sid)) next.add(sid);
      result = next;
    }
    return result;
  }

  /** Sessions whose initiator or chain holds the phrase. */
  matching(phrase: Phrase): Set<number> {
    const expr = ftsExpression([phrase]);
    const rows = (expr === undefined ? this.textAll.iterate() : this.textMatch.iterate(expr)) as Iterable<{ sid: number; text: string }>;
    const out = new Set<number>();
    for (const r of rows) if (hasPhrase(tokenize(r.text), phrase)) out.add(r.sid);
    return out;
  }

  /** How many events the sessions hold, and when. */
  extent(sids: ReadonlySet<number>): { events: number; firstMs: number | null; lastMs: number | null } {
    return this.stats.get(JSON.stringify([...sids])) as { events: number; firstMs: number | null; lastMs: number | null };
  }
}
