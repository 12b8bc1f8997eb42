import { describe, expect, it } from '@jest/globals';
import { AuditApiError } from '../errors.js';
import type { SearchQuery, SessionQuery } from '../store/audit-store.js';
import { parseSearchParams, parseSessionParams, parseTimeBound, searchParamsOf, sessionParamsOf } from './query-params.js';

const now = new Date('2025-06-01T12:00:00.000Z');
const opts = { now };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AuditApiError);
    expect((err as AuditApiError).status).toBe(400);
    return (err as AuditApiError).code;
  }
  return undefined;
}

describe('parseTimeBound', () => {
  it.each([
    ['15m', '2025-06-01T11:45:00.000Z'],
    ['2h', '2025-06-01T10:00:00.000Z'],
    ['7d', '2025-05-25T12:00:00.000Z'],
    ['1w', '2025-05-25T12:00:00.000Z'],
    ['1h30m', '2025-06-01T10:30:00.000Z'],
    ['90s', '2025-06-01T11:58:30.000Z'],
  ])('reads the duration %s as that long before now', (s, iso) => {
    expect(parseTimeBound(s, now).toISOString()).toBe(iso);
  });

  it.each([
    ['2025-05-31T08:15:00Z', '2025-05-31T08:15:00.000Z'],
    ['2025-05-31t08:15:00.123456z', '2025-05-31T08:15:00.123Z'],
    ['2025-05-31T10:15:00+02:00', '2025-05-31T08:15:00.000Z'],
    ['2025-05-31T03:15:00.5-05:00', '2025-05-31T08:15:00.500Z'],
    ['2025-05-31', '2025-05-31T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2016-12-31T23:59:60Z', '2017-01-01T00:00:00.000Z'],
  ])('reads the RFC 3339 time %s', (s, iso) => {
    expect(parseTimeBound(s, now).toISOString()).toBe(iso);
  });

  it.each(['', 'yesterday', '15', '-15m', '15 m', '2025-02-30', '2025-02-29', '2025-13-01', '2025-06-01T24:00:00Z',
    '2025-06-01T12:00:00', '2025-06-01 12:00:00Z', '2025-06-01T12:00Z', '999999999w999999999w'])('refuses %j', (s) => {
    expect(codeOf(() => parseTimeBound(s, now))).toBe('API_INVALID_TIME');
  });
});

describe('parseSearchParams', () => {
  it('maps every wire name onto its SearchQuery field', () => {
    const params = new URLSearchParams({
      initiator: 'alice', agent: 's3-cleanup', chain: 'Pod agents/planner', session: 'S1', descendants: 'true',
      namespace: 'agents', service: 's3', operation: 's3:Get*', resource: 'arn:aws:s3:::reports/*', decision: 'Deny',
      type: 'aws.call', since: '2h', until: '2025-06-01T11:30:00Z', q: 'AccessDenied', order: 'asc', limit: '25', cursor: 'abc',
    });
    expect(parseSearchParams(params, opts)).toEqual({
      initiator: 'alice', agent: 's3-cleanup', chainMember: 'Pod agents/planner', session: 'S1', includeDescendants: true,
      namespace: 'agents', service: 's3', operation: 's3:Get*', resource: 'arn:aws:s3:::reports/*', decision: 'Deny',
      type: 'aws.call', since: new Date('2025-06-01T10:00:00Z'), until: new Date('2025-06-01T11:30:00Z'), text: 'AccessDenied',
      order: 'asc', limit: 25, cursor: 'abc',
    } satisfies SearchQuery);
  });

  it('returns an empty query for no parameters', () => {
    expect(parseSearchParams(new URLSearchParams(), opts)).toEqual({});
  });

  it.each([
    ['initator=alice', 'API_UNKNOWN_PARAMETER'],
    ['roots=true', 'API_UNKNOWN_PARAMETER'],
    ['initiator=alice&initiator=bob', 'API_INVALID_PARAMETER'],
    ['initiator=', 'API_INVALID_PARAMETER'],
    ['limit=0', 'API_INVALID_PARAMETER'],
    ['limit=10001', 'API_INVALID_PARAMETER'],
    ['limit=1.5', 'API_INVALID_PARAMETER'],
    ['limit=ten', 'API_INVALID_PARAMETER'],
    ['decision=deny', 'API_INVALID_PARAMETER'],
    ['type=aws.cal', 'API_INVALID_PARAMETER'],
    ['order=newest', 'API_INVALID_PARAMETER'],
    ['session=S1&descendants=yes', 'API_INVALID_PARAMETER'],
    ['descendants=true', 'API_INVALID_PARAMETER'],
    ['since=tomorrow', 'API_INVALID_TIME'],
    ['until=2025-02-30', 'API_INVALID_TIME'],
    ['since=1h&until=2h', 'API_INVALID_TIME'],
  ])('refuses %s with %s', (qs, code) => {
    expect(codeOf(() => parseSearchParams(new URLSearchParams(qs), opts))).toBe(code);
  });

  it('refuses values longer than any ARN', () => {
    expect(codeOf(() => parseSearchParams(new URLSearchParams({ resource: 'a'.repeat(2049) }), opts))).toBe('API_INVALID_PARAMETER');
  });

  it('holds limit to the operator maximum', () => {
    expect(parseSearchParams(new URLSearchParams('limit=50'), { now, maxLimit: 50 }).limit).toBe(50);
    expect(codeOf(() => parseSearchParams(new URLSearchParams('limit=51'), { now, maxLimit: 50 }))).toBe('API_INVALID_PARAMETER');
  });

  it('names the parameter but bounds the echoed value', () => {
    try {
      parseSearchParams(new URLSearchParams({ decision: 'x'.repeat(500) }), opts);
      throw new Error('not refused');
    } catch (err) {
      expect((err as Error).message).toMatch(/^decision: /);
      expect((err as Error).message.length).toBeLessThan(200);
    }
  });
});

describe('parseSessionParams', () => {
  it('maps every wire name onto its SessionQuery field', () => {
    const params = new URLSearchParams({ initiator: 'bob', agent: 'a', chain: 'bob', namespace: 'batch', since: '1d', until: '1h', roots: 'false', limit: '3' });
    expect(parseSessionParams(params, opts)).toEqual({
      initiator: 'bob', agent: 'a', chainMember: 'bob', namespace: 'batch', since: new Date('2025-05-31T12:00:00Z'),
      until: new Date('2025-06-01T11:00:00Z'), rootsOnly: false, limit: 3,
    } satisfies SessionQuery);
  });

  it('refuses event-only filters', () => {
    expect(codeOf(() => parseSessionParams(new URLSearchParams('decision=Deny'), opts))).toBe('API_UNKNOWN_PARAMETER');
  });
});

describe('writing query strings', () => {
  it('round-trips a SearchQuery through the wire', () => {
    const q: SearchQuery = {
      initiator: 'alice & co', chainMember: 'Agent "x"', session: 'S1', includeDescendants: false, operation: '*:Delete*',
      decision: 'RequireApproval', type: 'session.ended', since: new Date('2025-06-01T09:00:00.250Z'), text: 'a+b=c', order: 'desc', limit: 10_000, cursor: 'c/d+e=',
    };
    expect(parseSearchParams(new URLSearchParams(searchParamsOf(q).toString()), opts)).toEqual(q);
  });

  it('round-trips a SessionQuery through the wire', () => {
    const q: SessionQuery = { agent: 's3-cleanup', rootsOnly: true, until: new Date('2025-06-01T09:00:00Z'), limit: 1 };
    expect(parseSessionParams(new URLSearchParams(sessionParamsOf(q).toString()), opts)).toEqual(q);
  });

  it('leaves unset fields out', () => {
    expect(searchParamsOf({ namespace: 'agents' }).toString()).toBe('namespace=agents');
  });
});
