import type { AuditEventType, DecisionAction } from '@agentrail/core';
import { AuditApiError } from '../errors.js';
import { MAX_LIMIT, type SearchQuery, type SessionQuery } from '../store/audit-store.js';

/**
 * The audit API's query strings, both ways: the server parses them into store
 * queries and `HttpAuditReader` (and the CLI) writes them from store queries,
 * so the two sides cannot drift apart. Parsing is strict — an unknown or
 * repeated parameter is an error rather than ignored, because a typo in a
 * filter would otherwise silently widen a search over the audit trail.
 */

/** ARNs can be 2,048 characters; nothing a filter needs is longer. */
const MAX_VALUE_LENGTH = 2048;

const DECISIONS: readonly DecisionAction[] = ['Allow', 'Deny', 'RequireApproval'];
const EVENT_TYPES: readonly AuditEventType[] = ['session.started', 'aws.call', 'session.ended', 'audit.degraded'];
const ORDERS: readonly NonNullable<SearchQuery['order']>[] = ['asc', 'desc'];

type Kind = 'string' | 'bool' | 'time' | 'limit' | readonly string[];
type Table<Q> = { readonly [K in keyof Required<Q>]: readonly [wire: string, kind: Kind] };

/** Every SearchQuery field with its wire name; the mapped type makes a new field a compile error until it is listed. */
const SEARCH: Table<SearchQuery> = {
  initiator: ['initiator', 'string'],
  agent: ['agent', 'string'],
  chainMember: ['chain', 'string'],
  session: ['session', 'string'],
  includeDescendants: ['descendants', 'bool'],
  namespace: ['namespace', 'string'],
  service: ['service', 'string'],
  operation: ['operation', 'string'],
  resource: ['resource', 'string'],
  decision: ['decision', DECISIONS],
  type: ['type', EVENT_TYPES],
  since: ['since', 'time'],
  until: ['until', 'time'],
  text: ['q', 'string'],
  order: ['order', ORDERS],
  limit: ['limit', 'limit'],
  cursor: ['cursor', 'string'],
};

const SESSIONS: Table<SessionQuery> = {
  initiator: ['initiator', 'string'],
  agent: ['agent', 'string'],
  chainMember: ['chain', 'string'],
  namespace: ['namespace', 'string'],
  since: ['since', 'time'],
  until: ['until', 'time'],
  rootsOnly: ['roots', 'bool'],
  limit: ['limit', 'limit'],
};

/** How the server parses: the clock for relative times and the operator's page cap. */
export interface ParseOptions {
  now: Date;
  /** Largest `limit` accepted (default {@link MAX_LIMIT}). */
  maxLimit?: number;
}

const UNITS_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(?:\d{1,9}[smhdw])+$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2})))?$/;

/**
 * Parses a time bound: an RFC 3339 timestamp (`2025-06-01T12:00:00Z`,
 * `2025-06-01T14:00:00.5+02:00`), an RFC 3339 full-date (`2025-06-01`, taken
 * as UTC midnight), or a duration before `now` (`15m`, `2h`, `7d`, `1w`,
 * `1h30m`; units s, m, h, d, w).
 *
 * @throws AuditApiError `API_INVALID_TIME` for anything else, including dates
 *   that do not exist (`2025-02-30`).
 * @example
 * parseTimeBound('2h', new Date('2025-06-01T12:00:00Z')) // 2025-06-01T10:00:00.000Z
 */
export function parseTimeBound(s: string, now: Date): Date {
  if (DURATION.test(s)) {
    let ms = 0;
    for (const [, n, unit] of s.matchAll(/(\d+)([smhdw])/g)) ms += Number(n) * (UNITS_MS[unit as string] as number);
    const t = new Date(now.getTime() - ms);
    if (Number.isNaN(t.getTime())) throw invalidTime(s, 'the duration reaches too far back');
    return t;
  }
  const m = RFC3339.exec(s);
  if (m === null) throw invalidTime(s, 'use RFC 3339 (2025-06-01T12:00:00Z) or a duration like 15m, 2h, 7d');
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', , sign, oh = '0', om = '0'] = m;
  const year = Number(y), month = Number(mo), day = Number(d);
  // Date.UTC rolls 02-30 over into March; reject dates the calendar does not have.
  const midnight = new Date(Date.UTC(year, month - 1, day));
  if (midnight.getUTCFullYear() !== year || midnight.getUTCMonth() !== month - 1 || midnight.getUTCDate() !== day) {
    throw invalidTime(s, 'no such date');
  }
  // Second 60 is RFC 3339's leap second; Date.UTC carries it into the next minute.
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 60 || Number(oh) > 23 || Number(om) > 59) throw invalidTime(s, 'no such time');
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const offsetMin = sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  return new Date(Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(sec), ms) - offsetMin * 60_000);
}

/** `GET /v1/events` parameters → SearchQuery. @throws AuditApiError (400 codes) */
export function parseSearchParams(params: URLSearchParams, opts: ParseOptions): SearchQuery {
  const q = parseWith(SEARCH, params, opts);
  if (q.includeDescendants !== undefined && q.session === undefined) {
    throw new AuditApiError('API_INVALID_PARAMETER', 400, 'descendants: only meaningful together with session');
  }
  return q;
}

/** `GET /v1/sessions` parameters → SessionQuery. @throws AuditApiError (400 codes) */
export function parseSessionParams(params: URLSearchParams, opts: ParseOptions): SessionQuery {
  return parseWith(SESSIONS, params, opts);
}

/** SearchQuery → the query string of `GET /v1/events`. */
export function searchParamsOf(query: SearchQuery): URLSearchParams {
  return writeWith(SEARCH, query);
}

/** SessionQuery → the query string of `GET /v1/sessions`. */
export function sessionParamsOf(query: SessionQuery): URLSearchParams {
  return writeWith(SESSIONS, query);
}

function parseWith<Q extends object>(table: Table<Q>, params: URLSearchParams, opts: ParseOptions): Q {
  const byWire = new Map<string, [keyof Q, Kind]>();
  for (const [field, [wire, kind]] of Object.entries(table) as [keyof Q, readonly [string, Kind]][]) byWire.set(wire, [field, kind]);
  const out: Record<string, unknown> = {};
  for (const name of new Set(params.keys())) {
    const entry = byWire.get(name);
    if (entry === undefined) {
      const known = [...byWire.keys()].join(', ');
      throw new AuditApiError('API_UNKNOWN_PARAMETER', 400, `unknown query parameter ${quote(name)}; this endpoint takes: ${known}`);
    }
    const values = params.getAll(name);
    if (values.length > 1) throw invalid(name, 'given more than once');
    const value = values[0] as string;
    if (value === '') throw invalid(name, 'empty; leave the parameter out instead');
    if (value.length > MAX_VALUE_LENGTH) throw invalid(name, `longer than ${MAX_VALUE_LENGTH} characters`);
    out[entry[0] as string] = parseValue(name, value, entry[1], opts);
  }
  const { since, until } = out as { since?: Date; until?: Date };
  if (since !== undefined && until !== undefined && since.getTime() > until.getTime()) {
    throw new AuditApiError('API_INVALID_TIME', 400, `since (${since.toISOString()}) is after until (${until.toISOString()})`);
  }
  return out as Q;
}

function parseValue(name: string, value: string, kind: Kind, opts: ParseOptions): unknown {
  switch (kind) {
    case 'string':
      return value;
    case 'bool':
      if (value === 'true') return true;
      if (value === 'false') return false;
      throw invalid(name, `${quote(value)} is not true or false`);
    case 'time':
      try {
        return parseTimeBound(value, opts.now);
      } catch (err) {
        throw new AuditApiError('API_INVALID_TIME', 400, `${name}: ${(err as Error).message}`);
      }
    case 'limit': {
      const max = opts.maxLimit ?? MAX_LIMIT;
      const n = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
      if (!(n >= 1 && n <= max)) throw invalid(name, `${quote(value)} is not a whole number from 1 to ${max}`);
      return n;
    }
    default:
      if (kind.includes(value)) return value;
      throw invalid(name, `${quote(value)} is not one of ${kind.join(', ')}`);
  }
}

function writeWith<Q extends object>(table: Table<Q>, query: Q): URLSearchParams {
  const params = new URLSearchParams();
  for (const [field, [wire]] of Object.entries(table) as [keyof Q, readonly [string, Kind]][]) {
    const v = query[field];
    if (v === undefined) continue;
    params.set(wire, v instanceof Date ? v.toISOString() : String(v));
  }
  return params;
}

function invalid(name: string, why: string): AuditApiError {
  return new AuditApiError('API_INVALID_PARAMETER', 400, `${name}: ${why}`);
}

function invalidTime(s: string, why: string): AuditApiError {
  return new AuditApiError('API_INVALID_TIME', 400, `${quote(s)} is not a time: ${why}`);
}

/** Echoes a caller's value in a message, bounded so an error cannot be made to reflect a large payload. */
function quote(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
}
