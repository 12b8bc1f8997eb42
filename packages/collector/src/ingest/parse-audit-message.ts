import type { AuditEvent } from '@agentrail/core';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const decoder = new TextDecoder('utf-8', { fatal: true });

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What one message holds: the events that can be stored, and why the others cannot. */
export interface ParsedMessage {
  events: AuditEvent[];
  /** One reason per line that is not a storable event (prefixed with its line number when the message has several). */
  invalid: string[];
}

/**
 * Parses one JetStream message: one audit event, or several of one session
 * as JSON lines (what a sidecar sends; JSON text never holds a raw newline).
 * Each is checked for the envelope the store relies on (id, time, type,
 * session link, source, chain); the rest of the event is the sidecar's to
 * shape, and its hash chain is checked by the store. A line that can never be
 * stored is reported rather than stored, so it is never redelivered forever.
 */
export function parseAuditMessage(data: Uint8Array): ParsedMessage {
  const out: ParsedMessage = { events: [], invalid: [] };
  let lines = 0;
  for (let start = 0; start <= data.length;) {
    let end = data.indexOf(0x0a, start);
    if (end < 0) end = data.length;
    if (end > start || data.length === 0) {
      lines += 1;
      const parsed = parseEvent(data.subarray(start, end));
      if ('invalid' in parsed) out.invalid.push(`line ${lines}: ${parsed.invalid}`);
      else out.events.push(parsed);
    }
    start = end + 1;
  }
  if (lines === 1) out.invalid = out.invalid.map((r) => r.slice(r.indexOf(': ') + 2));
  return out;
}

function parseEvent(data: Uint8Array): AuditEvent | { invalid: string } {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(data));
  } catch {
    return { invalid: 'not UTF-8 JSON' };
  }
  if (!isObject(value)) return { invalid: 'not a JSON object' };
  if (value.v !== 1) return { invalid: `unsupported event version ${JSON.stringify(value.v)}` };
  if (typeof value.id !== 'string' || !ULID.test(value.id)) return { invalid: 'id is not a ULID' };
  if (typeof value.time !== 'string' || Number.isNaN(Date.parse(value.time))) return { invalid: 'time is not a timestamp' };
  // Unknown types are kept: a newer sidecar may send them, and they are still chained.
  if (typeof value.type !== 'string' || value.type === '') return { invalid: 'type is missing' };
  if (typeof value.initiator !== 'string') return { invalid: 'initiator is missing' };
  if (!Array.isArray(value.chain)) return { invalid: 'chain is not a list' };
  if (!isObject(value.source)) return { invalid: 'source is missing' };
  const s = value.session;
  if (!isObject(s) || typeof s.id !== 'string' || s.id === '') return { invalid: 'session.id is missing' };
  if (typeof s.seq !== 'number' || !Number.isSafeInteger(s.seq) || s.seq < 1) return { invalid: 'session.seq is not a positive integer' };
  if (typeof s.prevHash !== 'string' || !HEX64.test(s.prevHash)) return { invalid: 'session.prevHash is not a SHA-256 hex digest' };
  if (typeof s.hash !== 'string' || !HEX64.test(s.hash)) return { invalid: 'session.hash is not a SHA-256 hex digest' };
  if (s.parent !== undefined && typeof s.parent !== 'string') return { invalid: 'session.parent is not a string' };
  return value as unknown as AuditEvent;
}
