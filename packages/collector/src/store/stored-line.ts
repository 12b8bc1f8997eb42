import type { AuditEvent } from '@agentrail/core';

/**
 * One event inside a stored block: its 64-hex `session.hash`, then the
 * canonical JSON of the event without that hash (see `sealedForm`). Keeping the
 * hash outside the JSON lets ingest store the very string it hashed.
 */
export function storedLine(hash: string, canonical: string): string {
  return hash + canonical;
}

/** The hash of a stored line without parsing it. */
export function lineHash(line: string): string {
  return line.slice(0, 64);
}

/**
 * The event of a stored line, with its members in the order people read them
 * (canonical JSON sorts them). Member order does not change the hash.
 */
export function parseStoredLine(line: string): AuditEvent {
  const body = JSON.parse(line.slice(64)) as Record<string, unknown> & { session: Record<string, unknown> };
  const { id, parent, seq, prevHash, ...moreLink } = body.session;
  const session = { id, ...(parent === undefined ? {} : { parent }), seq, prevHash, hash: line.slice(0, 64), ...moreLink };
  const { v, id: eventId, time, type, initiator, chain, source, session: _s, ...rest } = body;
  return { v, id: eventId, time, type, session, initiator, chain, source, ...rest } as unknown as AuditEvent;
}
