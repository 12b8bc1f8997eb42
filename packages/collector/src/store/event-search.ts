import type { AuditEvent } from '@agentrail/core';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { pageLimit, type SearchQuery, type SearchResult } from './audit-store.js';
import type { BlockCodec } from './block-codec.js';
import { keyAtMs } from './event-key.js';
import { msOf } from './query-time.js';
import { orderKind, planStreams, type Constraint, type ResolvedQuery, type StreamSpec } from './search-plan.js';
import { eventText, hasPhrase, parseFreeText, resourcePhrase, tokenize } from './search-text.js';
import type { SessionFinder } from './session-finder.js';
import { AuditStoreError } from './store-error.js';
import { parseStoredLine } from './stored-line.js';
import type { TermDictionary } from './term-dictionary.js';

interface Row {
  k: number;
  sid: number;
  seq: number;
  blk: number;
  pos: number;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Operation names (`s3:GetObject`) passing a service and an operation glob; a glob without `:` applies to the operation part. */
function operationMatcher(service: string | undefined, operation: string | undefined): (name: string) => boolean {
  const svc = service?.toLowerCase();
  const glob = operation === undefined ? undefined : new RegExp(`^${operation.split('*').map(escapeRegExp).join('.*')}$`, 'i');
  const wholeName = operation?.includes(':') === true;
  return (name) => {
    const colon = name.indexOf(':');
    if (svc !== undefined && name.slice(0, colon).toLowerCase() !== svc) return false;
    return glob === undefined || glob.test(wholeName ? name : name.slice(colon + 1));
  };
}

/** Cursors are opaque to callers: base64url of the order they continue and the last value returned. */
function encodeCursor(order: 'k' | 'seq', value: number): string {
  return Buffer.from(JSON.stringify({ o: order, v: value })).toString('base64url');
}

function decodeCursor(cursor: string, order: 'k' | 'seq'): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const c = parsed as { o?: unknown; v?: unknown } | undefined;
  if (c?.o !== order || typeof c.v !== 'number' || !Number.isSafeInteger(c.v)) {
    throw new AuditStoreError('AUDIT_STORE_CURSOR_INVALID', 'the cursor does not belong to this search');
  }
  return c.v;
}

const nextRow = (it: Iterator<Row>): Row | undefined => {
  const r = it.next();
  return r.done === true ? undefined : r.value;
};

/** Merges streams ordered the same way by key, dropping a row the other stream already gave. */
function* merge(streams: Iterator<Row>[], desc: boolean): Generator<Row> {
  const heads = streams.map(nextRow);
  let last: number | undefined;
  for (;;) {
    let pick = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      const p = pick === -1 ? undefined : heads[pick];
      if (h !== undefined && (p === undefined || (desc ? h.k > p.k : h.k < p.k))) pick = i;
    }
    if (pick === -1) return;
    const row = heads[pick] as Row;
    heads[pick] = nextRow(streams[pick] as Iterator<Row>);
    if (row.k !== last) yield row;
    last = row.k;
  }
}

/**
 * Search and export over the events: resolves names to ids, plans the
 * candidate streams (search-plan.ts), decodes candidates from their blocks
 * and checks what indexes cannot (phrases, exact resources) on the event.
 */
export class EventSearch {
  private readonly statements = new Map<string, StatementSync>();

  constructor(
    private readonly db: DatabaseSync,
    private readonly codec: BlockCodec,
    private readonly terms: TermDictionary,
    private readonly finder: SessionFinder,
  ) {}

  search(query: SearchQuery): SearchResult {
    const limit = pageLimit(query.limit);
    const events: AuditEvent[] = [];
    let last: { order: 'k' | 'seq'; value: number } | undefined;
    for (const hit of this.run(query, true, query.order ?? 'desc')) {
      if (events.length === limit && last !== undefined) return { events, nextCursor: encodeCursor(last.order, last.value) };
      events.push(hit.event);
      last = hit;
    }
    return { events };
  }

  /** Every matching event, oldest first unless `order` says otherwise; lazily, for exports of any size. */
  *events(query: SearchQuery = {}): Generator<AuditEvent> {
    let n = 0;
    for (const hit of this.run(query, false, query.order ?? 'asc')) {
      if (query.limit !== undefined && n++ >= query.limit) return;
      yield hit.event;
    }
  }

  private *run(query: SearchQuery, cached: boolean, order: 'asc' | 'desc'): Generator<{ event: AuditEvent; order: 'k' | 'seq'; value: number }> {
    const q = this.resolve(query, order);
    if (q === undefined) return;
    const kind = orderKind(q);
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor, kind);
    const specs = planStreams(q, cursor, (sids) => this.finder.extent(sids).events);
    const iterators = specs.map((s) => (this.statement(s, cached).iterate(...s.params) as IterableIterator<Row>)[Symbol.iterator]());
    const rows = iterators.length === 1 ? (iterators[0] as Iterator<Row>) : merge(iterators, order === 'desc');
    const check = q.phrases.length > 0 || q.resource !== undefined;
    const resource = query.resource;
    try {
      for (let r = rows.next(); r.done !== true; r = rows.next()) {
        const row = r.value;
        const event = parseStoredLine(this.codec.line(row.blk, row.pos));
        if (check) {
          if (resource !== undefined) {
            const rs = event.type === 'aws.call' ? event.aws.resources : [];
            if (!(resource.endsWith('*') ? rs.some((x) => x.startsWith(resource.slice(0, -1))) : rs.includes(resource))) continue;
          }
          const tokens = q.phrases.length > 0 ? tokenize(eventText(event)) : [];
          if (!q.phrases.every((p) => p.sessions.has(row.sid) || hasPhrase(tokens, p.phrase))) continue;
        }
        yield { event, order: kind, value: kind === 'seq' ? row.seq : row.k };
      }
    } finally {
      for (const it of iterators) it.return?.();
    }
  }

  /** Names to ids, filters to constraints; undefined when a filter can match nothing. */
  private resolve(query: SearchQuery, order: 'asc' | 'desc'): ResolvedQuery | undefined {
    const constraints: Constraint[] = [];
    const since = msOf(query.since, 'since');
    const until = msOf(query.until, 'until');
    let keyLow = since === undefined ? undefined : keyAtMs(since);
    let keyHigh = until === undefined ? undefined : keyAtMs(until);
    const sids = this.finder.find(query);
    if (sids !== undefined) {
      if (sids.size === 0) return undefined;
      const extent = this.finder.extent(sids);
      if (extent.firstMs === null || extent.lastMs === null) return undefined;
      constraints.push({ column: 'sid', ids: [...sids], events: extent.events });
      // The sessions' time span bounds a time-ordered scan to where their events can be.
      keyLow = Math.max(keyLow ?? -Infinity, keyAtMs(extent.firstMs));
      keyHigh = Math.min(keyHigh ?? Infinity, keyAtMs(extent.lastMs + 1));
    }
    if (keyLow !== undefined && keyHigh !== undefined && keyLow >= keyHigh) return undefined;
    if (query.service !== undefined || query.operation !== undefined) {
      const ops = this.terms.find('op', operationMatcher(query.service, query.operation));
      if (ops.ids.length === 0) return undefined;
      constraints.push({ column: 'op', ids: ops.ids, events: ops.events });
    }
    for (const [column, name] of [['type', query.type], ['decision', query.decision]] as const) {
      if (name === undefined) continue;
      const t = this.terms.find(column, (n) => n === name);
      if (t.ids.length === 0) return undefined;
      constraints.push({ column, ids: t.ids, events: t.events });
    }
    const phrases = parseFreeText(query.text ?? '').map((phrase) => ({ phrase, sessions: this.finder.matching(phrase) }));
    const resolved: ResolvedQuery = { constraints, phrases, order };
    if (keyLow !== undefined && keyLow !== -Infinity) resolved.keyLow = keyLow;
    if (keyHigh !== undefined && keyHigh !== Infinity) resolved.keyHigh = keyHigh;
    if (query.resource !== undefined) resolved.resource = resourcePhrase(query.resource);
    return resolved;
  }

  /** Searches reuse prepared plans; exports get their own statements, since they stay open while other queries run. */
  private statement(spec: StreamSpec, cached: boolean): StatementSync {
    if (!cached) return this.db.prepare(spec.sql);
    let stmt = this.statements.get(spec.sql);
    if (stmt === undefined) {
      stmt = this.db.prepare(spec.sql);
      if (this.statements.size >= 64) this.statements.delete(this.statements.keys().next().value as string);
      this.statements.set(spec.sql, stmt);
    }
    return stmt;
  }
}
