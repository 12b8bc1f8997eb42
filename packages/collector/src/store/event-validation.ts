import { isKeyableUlid } from './event-key.js';

const HASH = /^[0-9a-f]{64}$/;

const HASH_REASON = 'session.hash is not 64 lowercase hex digits';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Why the store cannot keep `e`, or undefined when it can. Checks only what
 * keying, chaining, indexing and the sessions view rely on; the JSON schema
 * (core's audit-event.v1.json) is the ingest pipeline's business. The form
 * of `session.hash` is left to `hashFormatReason`, asked only when the hash
 * does not match the event's digest (a digest is 64 lowercase hex digits
 * anyway): testing it on every event cost ~1% of ingest.
 */
export function invalidShape(e: unknown): string | undefined {
  if (!isObject(e)) return 'not an object';
  if (!isKeyableUlid(e.id)) return 'id is not a ULID of a time the store can key';
  if (typeof e.type !== 'string' || e.type === '') return 'type is missing';
  const s = e.session;
  if (!isObject(s)) return 'session is missing';
  if (typeof s.id !== 'string' || s.id === '') return 'session.id is missing';
  if (s.parent !== undefined && typeof s.parent !== 'string') return 'session.parent is not a string';
  if (typeof s.seq !== 'number' || !Number.isSafeInteger(s.seq) || s.seq < 1) return 'session.seq is not a positive integer';
  if (typeof s.prevHash !== 'string' || !HASH.test(s.prevHash)) return 'session.prevHash is not 64 lowercase hex digits';
  if (typeof s.hash !== 'string') return HASH_REASON;
  if (typeof e.initiator !== 'string') return 'initiator is missing';
  if (!Array.isArray(e.chain) || !e.chain.every((a) => isObject(a) && typeof a.type === 'string' && typeof a.name === 'string')) {
    return 'chain is not a list of actors';
  }
  if (!isObject(e.source)) return 'source is missing';
  if (e.type === 'aws.call') {
    const aws = e.aws;
    if (!isObject(aws) || typeof aws.service !== 'string' || typeof aws.operation !== 'string') return 'aws.service or aws.operation is missing';
    if (aws.resources !== undefined && !(Array.isArray(aws.resources) && aws.resources.every((r) => typeof r === 'string'))) return 'aws.resources is not a list of strings';
    if (!isObject(e.decision) || typeof e.decision.action !== 'string') return 'decision.action is missing';
    if (!isObject(e.request) || !isObject(e.response)) return 'request or response is missing';
  }
  return undefined;
}

/** Why a `session.hash` that does not match the event's digest is refused, if its form is wrong. */
export function hashFormatReason(hash: string): string | undefined {
  return HASH.test(hash) ? undefined : HASH_REASON;
}
