import { GENESIS_HASH, verifyChain, type AuditEvent, type ChainBreak } from '@agentrail/core';
import type { DatabaseSync } from 'node:sqlite';
import type { VerifyReport } from './audit-store.js';
import { BlockCodec } from './block-codec.js';
import { parseStoredLine } from './stored-line.js';

interface Row {
  sid: number;
  seq: number;
  blk: number;
  pos: number;
}

interface SessionCheck {
  id: string;
  expectSeq: number;
  /** Undefined after a gap or an unreadable event: the next link cannot be checked. */
  expectPrev: string | undefined;
  maxSeq: number;
  parked: Map<number, AuditEvent[]>;
  parkedCount: number;
}

/** Events read ahead of a missing seq are held this long before the seq is declared missing. */
const PARK_MAX = 256;
const PROGRESS_EVERY = 10_000;

/**
 * Re-checks every stored chain from the file (a fresh block cache, so
 * nothing checked earlier is trusted). One pass over the events in key
 * order reads each block about once; per session, events go through
 * `verifyChain` in seq order with the session's anchor — events of one
 * session are sealed in seq order, so key order is seq order but for
 * reordering within a millisecond, which the parking below undoes. After
 * the pass, seqs between the last stored event and the session's recorded
 * max seq are reported missing (a deleted tail).
 */
export class ChainVerifier {
  constructor(private readonly db: DatabaseSync, private readonly level: number) {}

  verify(opts: { session?: string; onProgress?: (done: number, total: number) => void } = {}): VerifyReport {
    const codec = new BlockCodec(this.db, 256, this.level);
    const sessionRows = (opts.session === undefined
      ? this.db.prepare('SELECT sid, id, anchor_seq, anchor_prev, max_seq FROM sessions').all()
      : this.db.prepare('SELECT sid, id, anchor_seq, anchor_prev, max_seq FROM sessions WHERE id = ?').all(opts.session)
    ) as { sid: number; id: string; anchor_seq: number; anchor_prev: string; max_seq: number }[];
    const checks = new Map<string, SessionCheck>();
    const idBySid = new Map<number, string>();
    for (const s of sessionRows) {
      idBySid.set(s.sid, s.id);
      checks.set(s.id, { id: s.id, expectSeq: s.anchor_seq, expectPrev: s.anchor_prev, maxSeq: s.max_seq, parked: new Map(), parkedCount: 0 });
    }
    const breaks: ChainBreak[] = [];
    const rows = opts.session === undefined
      ? this.db.prepare('SELECT sid, seq, blk, pos FROM events ORDER BY k')
      : this.db.prepare('SELECT sid, seq, blk, pos FROM events INDEXED BY events_session WHERE sid = ? ORDER BY seq');
    const params = opts.session === undefined ? [] : [sessionRows[0]?.sid ?? -1];
    const total = opts.session === undefined
      ? (this.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n
      : (this.db.prepare('SELECT count(*) AS n FROM events WHERE sid = ?').get(...params) as { n: number }).n;
    let done = 0;
    for (const row of rows.iterate(...params) as Iterable<Row>) {
      let event: AuditEvent | undefined;
      try {
        event = parseStoredLine(codec.line(row.blk, row.pos));
      } catch (err) {
        const session = idBySid.get(row.sid) ?? `#${row.sid}`;
        breaks.push({ session, seq: row.seq, kind: 'hash-mismatch', detail: `the stored event cannot be read: ${(err as Error).message}` });
        const check = checks.get(session);
        if (check !== undefined && row.seq >= check.expectSeq) { check.expectSeq = row.seq + 1; check.expectPrev = undefined; }
      }
      if (event !== undefined) this.accept(checks, event, breaks);
      if (++done % PROGRESS_EVERY === 0) opts.onProgress?.(done, total);
    }
    for (const check of checks.values()) {
      this.drain(check, breaks, true);
      if (check.expectSeq <= check.maxSeq) {
        const detail = check.expectSeq === check.maxSeq ? `seq ${check.maxSeq} is missing` : `seq ${check.expectSeq}–${check.maxSeq} are missing`;
        breaks.push({ session: check.id, seq: check.expectSeq, kind: 'seq-gap', detail });
      }
    }
    opts.onProgress?.(done, total);
    return { sessions: checks.size, events: done, breaks };
  }

  private accept(checks: Map<string, SessionCheck>, event: AuditEvent, breaks: ChainBreak[]): void {
    const id = event.session.id;
    let check = checks.get(id);
    if (check === undefined) {
      // Events whose session row is gone (edited out of the file) are still checked.
      check = { id, expectSeq: 1, expectPrev: GENESIS_HASH, maxSeq: 0, parked: new Map(), parkedCount: 0 };
      checks.set(id, check);
    }
    if (event.session.seq > check.expectSeq) {
      const list = check.parked.get(event.session.seq) ?? [];
      list.push(event);
      check.parked.set(event.session.seq, list);
      if (++check.parkedCount > PARK_MAX) this.drain(check, breaks, true);
      return;
    }
    this.step(check, event, breaks);
    this.drain(check, breaks, false);
  }

  /** Feeds parked events whose turn has come; with `all`, every parked event (the seqs before them are missing). */
  private drain(check: SessionCheck, breaks: ChainBreak[], all: boolean): void {
    while (check.parkedCount > 0) {
      let seq = check.expectSeq;
      if (!check.parked.has(seq)) {
        if (!all) return;
        seq = Math.min(...check.parked.keys());
      }
      const list = check.parked.get(seq) as AuditEvent[];
      check.parked.delete(seq);
      check.parkedCount -= list.length;
      for (const e of list) this.step(check, e, breaks);
    }
  }

  private step(check: SessionCheck, event: AuditEvent, breaks: ChainBreak[]): void {
    const anchor = { seq: check.expectSeq, prevHash: check.expectPrev ?? event.session.prevHash };
    breaks.push(...verifyChain([event], anchor));
    if (event.session.seq >= check.expectSeq) {
      check.expectSeq = event.session.seq + 1;
      check.expectPrev = event.session.hash;
    }
  }
}
