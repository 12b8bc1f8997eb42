import type { AuditEvent, ChainBreak } from '@agentrail/core';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { InsertResult } from './audit-store.js';
import { BLOCK_EVENTS, BLOCK_RAW_BYTES, type BlockCodec } from './block-codec.js';
import { keyOfId, msOfKey, nextSlot, SLOTS } from './event-key.js';
import { hashFormatReason, invalidShape } from './event-validation.js';
import { sealedForm } from './sealed-form.js';
import { eventText, qualifiedOperation } from './search-text.js';
import type { SessionEntry, SessionLedger } from './session-ledger.js';
import { AuditStoreError } from './store-error.js';
import { parseStoredLine, storedLine } from './stored-line.js';
import type { TermDictionary } from './term-dictionary.js';

interface Prepared {
  event: AuditEvent;
  line: string;
  hashOk: boolean;
  key: number;
  /** Block (index into the batch's blocks) and line the event is laid out at. */
  block: number;
  pos: number;
}

const bySessionThenSeq = (a: Prepared, b: Prepared): number => {
  const x = a.event.session.id;
  const y = b.event.session.id;
  return x < y ? -1 : x > y ? 1 : a.event.session.seq - b.event.session.seq || a.key - b.key;
};

/**
 * The write path: one IMMEDIATE transaction per batch (taking the write lock
 * up front, so two processes never deadlock upgrading a read lock). The
 * batch is laid out in blocks by session and seq — consecutive events of a
 * session share their chain, source and the previous hash, so blocks
 * compress ~15% better, and a session's events sit in few blocks, which
 * halves the reads of a session search. Rows and FTS entries are then
 * written in key order: FTS5 appends to its in-memory doclists only while
 * rowids increase, and flushes a segment whenever one goes back (that cost
 * ~20% of ingest). Validation and hashing happen before the lock is taken.
 */
export class EventWriter {
  private readonly insertEvent: StatementSync;
  private readonly eventAt: StatementSync;
  private readonly insertBlock: StatementSync;
  private readonly insertText: StatementSync;
  private readonly lastBlock: StatementSync;

  constructor(
    private readonly db: DatabaseSync,
    private readonly codec: BlockCodec,
    private readonly terms: TermDictionary,
    private readonly sessions: SessionLedger,
  ) {
    this.insertEvent = db.prepare('INSERT INTO events (k, sid, seq, type, op, decision, blk, pos) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.eventAt = db.prepare('SELECT blk, pos FROM events WHERE k = ?');
    this.insertBlock = db.prepare('INSERT INTO blocks (id, live, data) VALUES (?, ?, ?)');
    this.insertText = db.prepare('INSERT INTO events_fts (rowid, text) VALUES (?, ?)');
    this.lastBlock = db.prepare("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'blocks'), 0) AS id");
  }

  insert(events: readonly AuditEvent[]): InsertResult {
    if (events.length === 0) return { inserted: 0, duplicates: 0, breaks: [] };
    const prepared = prepare(events);
    this.db.exec('BEGIN IMMEDIATE');
    try {
      this.sessions.begin();
      const result = this.write(prepared);
      this.terms.flush();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK'); // SQLite may have rolled back already (disk full, I/O error)
      this.terms.discard();
      this.sessions.forget();
      this.codec.forget(); // blocks of this transaction may be cached under ids that will be reused
      throw err;
    }
  }

  private write(batch: Prepared[]): InsertResult {
    const firstBlock = (this.lastBlock.get() as { id: number }).id + 1;
    const blocks = layout(batch);
    const entries = new Map<string, SessionEntry>();
    let inserted = 0;
    let duplicates = 0;
    batch.sort((a, b) => a.key - b.key);
    for (const p of batch) {
      const { event } = p;
      let entry = entries.get(event.session.id);
      if (entry === undefined) {
        entry = this.sessions.entry(event, msOfKey(p.key));
        entries.set(event.session.id, entry);
      }
      const key = this.claim(p, entry.row.sid, firstBlock, blocks);
      if (key === undefined) {
        duplicates += 1;
        (blocks[p.block] as string[])[p.pos] = ''; // an empty line keeps the positions of the others
        continue;
      }
      inserted += 1;
      const text = eventText(event);
      if (text !== '') this.insertText.run(key, text);
      entry.add({ key, id: event.id, seq: event.session.seq, prevHash: event.session.prevHash, hash: event.session.hash, hashOk: p.hashOk }, msOfKey(key), event);
    }
    blocks.forEach((lines, i) => {
      const live = lines.reduce((n, l) => (l === '' ? n : n + 1), 0);
      if (live > 0) this.insertBlock.run(firstBlock + i, live, this.codec.compress(lines));
    });
    const breaks: ChainBreak[] = this.sessions.save(entries.values());
    return { inserted, duplicates, breaks };
  }

  /**
   * Inserts the event's row at its preferred key, or at the next free slot of
   * the same millisecond when another event holds it. Returns undefined when
   * the holder is this very event (a duplicate).
   */
  private claim(p: Prepared, sid: number, firstBlock: number, blocks: readonly string[][]): number | undefined {
    const { event } = p;
    const type = this.terms.idOf('type', event.type);
    let op: number | null = null;
    let decision: number | null = null;
    if (event.type === 'aws.call') {
      op = this.terms.idOf('op', qualifiedOperation(event.aws.service, event.aws.operation));
      decision = this.terms.idOf('decision', event.decision.action);
    }
    let key = p.key;
    for (let tries = 0; tries < SLOTS; tries++) {
      const r = this.insertEvent.run(key, sid, event.session.seq, type, op, decision, firstBlock + p.block, p.pos);
      if (r.changes === 1) {
        this.terms.count('type', type, 1);
        if (op !== null) this.terms.count('op', op, 1);
        if (decision !== null) this.terms.count('decision', decision, 1);
        return key;
      }
      const at = this.eventAt.get(key) as { blk: number; pos: number };
      const line = at.blk >= firstBlock ? (blocks[at.blk - firstBlock]?.[at.pos] as string) : this.codec.line(at.blk, at.pos);
      if (parseStoredLine(line).id === event.id) return undefined;
      key = nextSlot(key);
    }
    throw new AuditStoreError('AUDIT_STORE_CORRUPT', `no free key in the millisecond of event ${event.id}`);
  }
}

/** Assigns each event a block and line, by session and seq; returns the lines of each block. */
function layout(batch: readonly Prepared[]): string[][] {
  const blocks: string[][] = [];
  let lines: string[] = [];
  let bytes = 0;
  for (const p of [...batch].sort(bySessionThenSeq)) {
    if (lines.length === BLOCK_EVENTS || bytes >= BLOCK_RAW_BYTES) {
      blocks.push(lines);
      lines = [];
      bytes = 0;
    }
    p.block = blocks.length;
    p.pos = lines.length;
    lines.push(p.line);
    bytes += p.line.length;
  }
  blocks.push(lines);
  return blocks;
}

/** Validates, hashes and keys a batch before any lock is taken; refuses the whole batch if an event is malformed. */
function prepare(events: readonly AuditEvent[]): Prepared[] {
  const bad: string[] = [];
  const reasons: string[] = [];
  const out: Prepared[] = [];
  events.forEach((event, i) => {
    const reason = invalidShape(event);
    if (reason !== undefined) {
      const id = (event as { id?: unknown } | null)?.id;
      bad.push(typeof id === 'string' ? id : `#${i}`);
      reasons.push(reason);
      return;
    }
    let sealed: { canonical: string; hashOk: boolean };
    try {
      sealed = sealedForm(event);
    } catch (err) {
      bad.push(event.id);
      reasons.push(`no canonical JSON form: ${(err as Error).message}`);
      return;
    }
    const hashReason = sealed.hashOk ? undefined : hashFormatReason(event.session.hash);
    if (hashReason !== undefined) {
      bad.push(event.id);
      reasons.push(hashReason);
      return;
    }
    out.push({ event, line: storedLine(event.session.hash, sealed.canonical), hashOk: sealed.hashOk, key: keyOfId(event.id), block: 0, pos: 0 });
  });
  if (bad.length > 0) {
    throw new AuditStoreError('AUDIT_STORE_EVENT_INVALID', `${bad.length} event(s) cannot be stored: ${bad[0]}: ${reasons[0]}`, { eventIds: bad });
  }
  return out;
}
