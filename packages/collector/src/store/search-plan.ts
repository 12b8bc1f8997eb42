import type { SQLInputValue } from 'node:sqlite';
import { DECISION_ALLOW, TYPE_AWS_CALL } from './sqlite-schema.js';
import { ftsExpression, type Phrase } from './search-text.js';

/** An indexed column restricted to some ids, with how many events those ids hold. */
export interface Constraint {
  column: 'sid' | 'op' | 'type' | 'decision';
  ids: number[];
  events: number;
}

/** A free-text phrase, and the sessions whose initiator or chain holds it (then any of their events matches it). */
export interface TextPhrase {
  phrase: Phrase;
  sessions: ReadonlySet<number>;
}

/** A query with names resolved to ids; see EventSearch.resolve. */
export interface ResolvedQuery {
  constraints: Constraint[];
  /** Key range [low, high). */
  keyLow?: number;
  keyHigh?: number;
  phrases: TextPhrase[];
  resource?: Phrase;
  order: 'asc' | 'desc';
}

/** One ordered stream of candidate rows (the column the cursor follows is `orderKind` of the query). */
export interface StreamSpec {
  sql: string;
  params: SQLInputValue[];
}

type Driver =
  | { kind: 'scan' }
  | { kind: 'seq'; sid: number }
  | { kind: 'index'; c: Constraint }
  | { kind: 'fts'; expr: string };

/**
 * Sorting more index entries than this costs more than scanning the table in
 * time order and testing each row (measured at 1 M events: ~5 ms either way).
 */
const SORT_MAX = 20_000;
/** Up to this many events, reading them and checking text on the decoded event beats asking FTS5. */
const TEXT_BY_STRUCTURE_MAX = 2_000;
const INDEX: Record<Constraint['column'], string> = { sid: 'events_session', op: 'events_op', type: 'events_type', decision: 'events_decision' };
/** The partial indexes leave out the common value: their condition must be in the query for SQLite to use them. */
const PARTIAL: Record<Constraint['column'], string> = {
  sid: '1',
  op: 'e.op IS NOT NULL',
  type: `e.type <> ${TYPE_AWS_CALL}`,
  decision: `e.decision <> ${DECISION_ALLOW}`,
};

const indexable = (c: Constraint): boolean =>
  !((c.column === 'type' && c.ids.includes(TYPE_AWS_CALL)) || (c.column === 'decision' && c.ids.includes(DECISION_ALLOW)));

/**
 * The access path for structured filters: one session in seq order when
 * allowed; else the most selective index whose entries are already in time
 * order (one op, type or decision: the index ends in the key) or few enough
 * to sort; else a scan in time order. `events_session` is in seq order, so
 * it always needs the sort.
 */
function structuredDriver(constraints: readonly Constraint[], seqOrder: boolean): Driver {
  const single = constraints.find((c) => c.column === 'sid' && c.ids.length === 1);
  if (seqOrder && single !== undefined) return { kind: 'seq', sid: single.ids[0] as number };
  let best: Constraint | undefined;
  for (const c of constraints) {
    const timeOrdered = c.ids.length === 1 && c.column !== 'sid';
    if (!indexable(c) || (!timeOrdered && c.events > SORT_MAX)) continue;
    if (best === undefined || c.events < best.events) best = c;
  }
  return best === undefined ? { kind: 'scan' } : { kind: 'index', c: best };
}

/** Results of one session without free text come in seq order; all others in time (key) order. */
export function orderKind(q: ResolvedQuery): 'k' | 'seq' {
  const textual = q.phrases.length > 0 || q.resource !== undefined;
  return !textual && q.constraints.some((c) => c.column === 'sid' && c.ids.length === 1) ? 'seq' : 'k';
}

function constraintSql(c: Constraint, driving: boolean): [string, SQLInputValue] {
  const col = `${driving ? '' : '+'}e.${c.column}`;
  return c.ids.length === 1 ? [`${col} = ?`, c.ids[0] as number] : [`${col} IN (SELECT value FROM json_each(?))`, JSON.stringify(c.ids)];
}

function stream(q: ResolvedQuery, driver: Driver, constraints: readonly Constraint[], cursor: number | undefined): StreamSpec {
  const where: string[] = [];
  const params: SQLInputValue[] = [];
  let from = 'events e NOT INDEXED';
  let keyCol = 'e.k';
  let orderCol = 'e.k';
  if (driver.kind === 'fts') {
    from = 'events_fts f JOIN events e ON e.k = f.rowid';
    where.push('events_fts MATCH ?');
    params.push(driver.expr);
    keyCol = orderCol = 'f.rowid';
  } else if (driver.kind === 'seq') {
    from = 'events e INDEXED BY events_session';
    orderCol = 'e.seq';
  } else if (driver.kind === 'index') {
    from = `events e INDEXED BY ${INDEX[driver.c.column]}`;
    where.push(PARTIAL[driver.c.column]);
  }
  for (const c of constraints) {
    const driving = (driver.kind === 'index' && driver.c === c) || (driver.kind === 'seq' && c.column === 'sid');
    const [sql, param] = constraintSql(c, driving);
    where.push(sql);
    params.push(param);
  }
  if (q.keyLow !== undefined) { where.push(`${keyCol} >= ?`); params.push(q.keyLow); }
  if (q.keyHigh !== undefined) { where.push(`${keyCol} < ?`); params.push(q.keyHigh); }
  if (cursor !== undefined) {
    where.push(`${orderCol} ${q.order === 'asc' ? '>' : '<'} ?`);
    params.push(cursor);
  }
  const sql = `SELECT e.k AS k, e.sid AS sid, e.seq AS seq, e.blk AS blk, e.pos AS pos FROM ${from}
    WHERE ${where.length > 0 ? where.join(' AND ') : '1'} ORDER BY ${orderCol} ${q.order === 'asc' ? 'ASC' : 'DESC'}`;
  return { sql, params };
}

/**
 * The candidate streams of a query: usually one. Free text drives through
 * FTS5 unless structured filters leave few events. When every phrase is
 * also found in some sessions' chains, an event may match through its
 * session instead of its own text, so a second stream — those sessions'
 * events — is merged in time order with the FTS5 one. Candidates are
 * checked against the phrases and resource on the decoded event
 * (EventSearch), so a stream may over-select but never miss.
 */
export function planStreams(q: ResolvedQuery, cursor: number | undefined, extent: (sids: ReadonlySet<number>) => number): StreamSpec[] {
  if (orderKind(q) === 'seq') return [stream(q, structuredDriver(q.constraints, true), q.constraints, cursor)];
  const structured = structuredDriver(q.constraints, false);
  if (q.phrases.length === 0 && q.resource === undefined) return [stream(q, structured, q.constraints, cursor)];
  const few = q.constraints.some((c) => c.events <= TEXT_BY_STRUCTURE_MAX && indexable(c));
  if (few) return [stream(q, structured, q.constraints, cursor)];
  const eventOnly = q.phrases.filter((p) => p.sessions.size === 0).map((p) => p.phrase);
  if (eventOnly.length > 0 || q.resource !== undefined) {
    const expr = ftsExpression(q.resource === undefined ? eventOnly : [...eventOnly, q.resource]);
    return [stream(q, expr === undefined ? structured : { kind: 'fts', expr }, q.constraints, cursor)];
  }
  const expr = ftsExpression(q.phrases.map((p) => p.phrase));
  if (expr === undefined) return [stream(q, structured, q.constraints, cursor)];
  const streams = [stream(q, { kind: 'fts', expr }, q.constraints, cursor)];
  const own = q.constraints.find((c) => c.column === 'sid');
  const union = new Set<number>();
  for (const p of q.phrases) for (const sid of p.sessions) if (own === undefined || own.ids.includes(sid)) union.add(sid);
  if (union.size > 0) {
    const bySession: Constraint = { column: 'sid', ids: [...union], events: extent(union) };
    const constraints = [...q.constraints.filter((c) => c !== own), bySession];
    streams.push(stream(q, structuredDriver(constraints, false), constraints, cursor));
  }
  return streams;
}
