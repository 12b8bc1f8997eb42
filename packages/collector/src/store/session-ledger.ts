import { GENESIS_HASH, type AuditEvent, type ChainBreak } from '@agentrail/core';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { BlockCodec } from './block-codec.js';
import { sessionText } from './search-text.js';
import type { SessionRow } from './session-row.js';
import { lineHash, parseStoredLine } from './stored-line.js';

/** One event of a batch as the chain sees it. */
export interface ChainLink {
  key: number;
  id: string;
  seq: number;
  prevHash: string;
  hash: string;
  hashOk: boolean;
}

/** Read access to stored events of a chain, for walking the verified frontier. */
export interface StoredChain {
  /** True when an event other than `key` holds this seq. */
  other(sid: number, seq: number, key: number): boolean;
  link(sid: number, seq: number): ChainLink | undefined;
}

/**
 * A session's row during one write transaction: loaded (or created) once
 * per batch, updated in memory, written back once. Read inside the
 * transaction, never cached across transactions, because other processes
 * may write the same sessions.
 */
export class SessionEntry {
  readonly links: ChainLink[] = [];
  private readonly maxSeqBefore: number;

  constructor(readonly row: SessionRow) {
    this.maxSeqBefore = row.max_seq;
  }

  /** Counts a newly stored event into the sessions view. */
  add(link: ChainLink, ms: number, event: AuditEvent): void {
    this.links.push(link);
    const r = this.row;
    r.n += 1;
    if (ms < r.first_ms) r.first_ms = ms;
    if (ms > r.last_ms) r.last_ms = ms;
    if (event.type === 'aws.call') {
      r.calls += 1;
      if (event.decision?.action !== 'Allow') r.denied += 1;
    } else if (event.type === 'session.ended') {
      r.ended = 1;
    }
  }

  /**
   * Checks the batch's links against the chain and advances the verified
   * seq as far as stored events reach without a gap (late events fill gaps,
   * then the frontier walks on through what arrived earlier).
   */
  settle(stored: StoredChain): ChainBreak[] {
    const r = this.row;
    const breaks: ChainBreak[] = [];
    const bySeq = new Map<number, ChainLink>();
    this.links.sort((a, b) => a.seq - b.seq || a.key - b.key);
    for (const l of this.links) {
      if (!l.hashOk) {
        breaks.push({ session: r.id, seq: l.seq, eventId: l.id, kind: 'hash-mismatch', detail: 'the event was changed after it was sealed' });
        r.broken = 1;
      }
      const again = l.seq < r.anchor_seq || l.seq <= r.verified_seq || bySeq.has(l.seq)
        || (l.seq <= this.maxSeqBefore && stored.other(r.sid, l.seq, l.key));
      if (again) {
        breaks.push({ session: r.id, seq: l.seq, eventId: l.id, kind: 'seq-duplicate', detail: `seq ${l.seq} appears again` });
        r.broken = 1;
        continue;
      }
      bySeq.set(l.seq, l);
      if (l.seq > r.max_seq) r.max_seq = l.seq;
    }
    for (let next = r.verified_seq + 1; next <= r.max_seq; next++) {
      const link = bySeq.get(next) ?? (next <= this.maxSeqBefore ? stored.link(r.sid, next) : undefined);
      if (link === undefined) break;
      if (link.prevHash !== r.verified_hash) {
        breaks.push({ session: r.id, seq: next, eventId: link.id, kind: 'prev-hash-mismatch', detail: 'prevHash does not match the previous event' });
        r.broken = 1;
      }
      r.verified_seq = next;
      r.verified_hash = link.hash;
    }
    return breaks;
  }
}

/** Session rows kept between batches; beyond this, the oldest are dropped (and read again when needed). */
const CACHED_SESSIONS = 10_000;

/**
 * Loads, creates and writes back session rows inside the writer's
 * transaction. Rows are cached between batches only while no other
 * connection has committed: `PRAGMA data_version` changes exactly then, and
 * is read once the write lock is held. With one writer, a batch then costs
 * one UPDATE per session instead of a SELECT and an UPDATE.
 */
export class SessionLedger {
  private readonly cache = new Map<string, SessionRow>();
  private dataVersion = -1;
  private readonly version: StatementSync;
  private readonly select: StatementSync;
  private readonly create: StatementSync;
  private readonly addActor: StatementSync;
  private readonly addText: StatementSync;
  private readonly update: StatementSync;
  private readonly otherAtSeq: StatementSync;
  private readonly atSeq: StatementSync;
  /** Stored links, read inside the current transaction. */
  readonly stored: StoredChain;

  constructor(db: DatabaseSync, private readonly codec: BlockCodec) {
    this.version = db.prepare('PRAGMA data_version');
    this.select = db.prepare('SELECT * FROM sessions WHERE id = ?');
    this.create = db.prepare(`INSERT INTO sessions (id, parent, initiator, chain, cluster, namespace, pod, host, first_ms, last_ms, verified_hash, anchor_prev)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`);
    this.addActor = db.prepare('INSERT OR IGNORE INTO session_actors (name, type, sid) VALUES (?, ?, ?)');
    this.addText = db.prepare('INSERT INTO sessions_fts (rowid, text) VALUES (?, ?)');
    this.update = db.prepare(`UPDATE sessions SET first_ms = ?, last_ms = ?, n = ?, calls = ?, denied = ?, ended = ?,
      max_seq = ?, verified_seq = ?, verified_hash = ?, broken = ? WHERE sid = ?`);
    this.otherAtSeq = db.prepare('SELECT 1 FROM events WHERE sid = ? AND seq = ? AND k <> ? LIMIT 1');
    this.atSeq = db.prepare('SELECT k, blk, pos FROM events WHERE sid = ? AND seq = ? ORDER BY k LIMIT 1');
    this.stored = {
      other: (sid, seq, key) => this.otherAtSeq.get(sid, seq, key) !== undefined,
      link: (sid, seq) => this.storedLink(sid, seq),
    };
  }

  /** Call once the write lock is held: drops cached rows if another connection wrote since. */
  begin(): void {
    const v = (this.version.get() as { data_version: number }).data_version;
    if (v !== this.dataVersion) this.cache.clear();
    this.dataVersion = v;
  }

  /** Drops cached rows (after a rollback, or when this connection changed sessions elsewhere). */
  forget(): void {
    this.cache.clear();
  }

  /** The session of `first` (the batch's first event of it), created from that event when new. */
  entry(first: AuditEvent, ms: number): SessionEntry {
    const existing = this.cache.get(first.session.id) ?? (this.select.get(first.session.id) as SessionRow | undefined);
    if (existing !== undefined) return this.remember(new SessionEntry(existing));
    const { source } = first;
    const row = this.create.get(
      first.session.id, first.session.parent ?? null, first.initiator, JSON.stringify(first.chain),
      source.cluster ?? null, source.namespace ?? null, source.pod ?? null, source.host ?? null,
      ms, ms, GENESIS_HASH, GENESIS_HASH,
    ) as unknown as SessionRow;
    for (const a of first.chain) this.addActor.run(a.name, a.type, row.sid);
    this.addText.run(row.sid, sessionText(first.initiator, first.chain));
    return this.remember(new SessionEntry(row));
  }

  private remember(entry: SessionEntry): SessionEntry {
    const { id } = entry.row;
    this.cache.delete(id); // re-insert: Map order is the eviction order
    this.cache.set(id, entry.row);
    if (this.cache.size > CACHED_SESSIONS) this.cache.delete(this.cache.keys().next().value as string);
    return entry;
  }

  /** Settles and writes back every entry; returns the chain breaks found. */
  save(entries: Iterable<SessionEntry>): ChainBreak[] {
    const breaks: ChainBreak[] = [];
    for (const e of entries) {
      breaks.push(...e.settle(this.stored));
      const r = e.row;
      this.update.run(r.first_ms, r.last_ms, r.n, r.calls, r.denied, r.ended, r.max_seq, r.verified_seq, r.verified_hash, r.broken, r.sid);
    }
    return breaks;
  }

  /** A stored event's link, read back from its block: only when a late event lets the frontier walk on. */
  private storedLink(sid: number, seq: number): ChainLink | undefined {
    const at = this.atSeq.get(sid, seq) as { k: number; blk: number; pos: number } | undefined;
    if (at === undefined) return undefined;
    const line = this.codec.line(at.blk, at.pos);
    const e = parseStoredLine(line);
    return { key: at.k, id: e.id, seq, prevHash: e.session.prevHash, hash: lineHash(line), hashOk: true };
  }
}
