import { createHash } from 'node:crypto';
import { GENESIS_HASH, type AuditEvent, type UnsealedEvent } from './audit-event.js';
import { canonicalJson } from './canonical-json.js';

/** SHA-256 (hex) over the canonical JSON of the event without `session.hash`. */
export function eventHash(event: AuditEvent | (Omit<AuditEvent, 'session'> & { session: Omit<AuditEvent['session'], 'hash'> })): string {
  const { hash: _omit, ...session } = event.session as AuditEvent['session'];
  return createHash('sha256').update(canonicalJson({ ...event, session })).digest('hex');
}

/**
 * Chains one session's events: each gets the next `seq` and the previous
 * event's hash as `prevHash`, then its own `hash`. One chainer per session;
 * only the sidecar that owns the session seals its events.
 */
export class SessionChainer {
  private seq = 0;
  private prev = GENESIS_HASH;

  seal<E extends AuditEvent>(event: UnsealedEvent<E>): E {
    this.seq += 1;
    const session = { ...event.session, seq: this.seq, prevHash: this.prev, hash: '' };
    const sealed = { ...event, session } as unknown as E;
    session.hash = eventHash(sealed);
    this.prev = session.hash;
    return sealed;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** The chain's position, to undo a seal whose event could not be written. */
  checkpoint(): { seq: number; prev: string } {
    return { seq: this.seq, prev: this.prev };
  }

  restore(at: { seq: number; prev: string }): void {
    this.seq = at.seq;
    this.prev = at.prev;
  }
}

/** A place where a session's chain does not hold. */
export interface ChainBreak {
  session: string;
  seq: number;
  eventId?: string;
  kind: 'hash-mismatch' | 'prev-hash-mismatch' | 'seq-gap' | 'seq-duplicate';
  detail: string;
}

/**
 * Checks one session's events, in seq order. `anchor` is the expected
 * `prevHash` of the first event given (GENESIS_HASH when it is seq 1; the
 * kept anchor after retention removed older events).
 */
export function verifyChain(events: Iterable<AuditEvent>, anchor?: { seq: number; prevHash: string }): ChainBreak[] {
  const breaks: ChainBreak[] = [];
  let expectSeq = anchor?.seq ?? 1;
  let expectPrev: string | undefined = anchor?.prevHash ?? GENESIS_HASH;
  for (const e of events) {
    const { id: session, seq, prevHash, hash } = e.session;
    if (eventHash(e) !== hash) breaks.push({ session, seq, eventId: e.id, kind: 'hash-mismatch', detail: 'the event was changed after it was sealed' });
    if (seq < expectSeq) {
      breaks.push({ session, seq, eventId: e.id, kind: 'seq-duplicate', detail: `seq ${seq} appears again` });
      continue;
    }
    if (seq > expectSeq) {
      breaks.push({ session, seq: expectSeq, kind: 'seq-gap', detail: seq === expectSeq + 1 ? `seq ${expectSeq} is missing` : `seq ${expectSeq}–${seq - 1} are missing` });
      expectPrev = undefined; // the link across a gap cannot be checked
    }
    if (expectPrev !== undefined && prevHash !== expectPrev) {
      breaks.push({ session, seq, eventId: e.id, kind: 'prev-hash-mismatch', detail: 'prevHash does not match the previous event' });
    }
    expectSeq = seq + 1;
    expectPrev = hash;
  }
  return breaks;
}
