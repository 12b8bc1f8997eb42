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
    return this.sealToText(event).event;
  }

  /**
   * Seals `event` and also returns its canonical JSON text, hash included:
   * the text hashed, with the hash spliced in, so a writer need not
   * serialize the event again (and what it writes is canonical).
   */
  sealToText<E extends AuditEvent>(event: UnsealedEvent<E>): { event: E; text: string } {
    const seq = this.seq + 1;
    const unhashed = { ...event.session, prevHash: this.prev, seq }; // id, parent, prevHash, seq: canonical order
    const body = canonicalJson({ ...event, session: unhashed });
    const hash = createHash('sha256').update(body).digest('hex');
    const session = { ...unhashed, hash };
    const sealed = { ...event, session } as unknown as E;
    this.seq = seq;
    this.prev = hash;
    return { event: sealed, text: withHash(body, unhashed, hash) ?? canonicalJson(sealed) };
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

const SESSION_MEMBER = '"session":{';

/**
 * The canonical text of the sealed event from that of the event without its
 * hash: `hash` sorts first among the session's members (hash < id < parent <
 * prevHash < seq), so it goes right after `"session":{`. The top-level
 * session member is the last place its exact text occurs: the members after
 * it (source, time, type, v …) hold no such object, and inside a string every
 * quote is escaped. Undefined if it is not found (then the caller serializes).
 */
function withHash(body: string, session: object, hash: string): string | undefined {
  const at = body.lastIndexOf(`"session":${canonicalJson(session)}`);
  if (at < 0) return undefined;
  const cut = at + SESSION_MEMBER.length;
  return `${body.slice(0, cut)}"hash":"${hash}",${body.slice(cut)}`;
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
