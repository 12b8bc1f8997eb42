import { beforeAll, afterAll, describe, expect, it } from '@jest/globals';
import type { AuditEvent } from '@agentrail/core';
import type { SearchQuery } from './audit-store.js';
import { SqliteAuditStore } from './sqlite-audit-store.js';
import { TrailBuilder, type TestSession } from './testing/trail-builder.js';

let store: SqliteAuditStore;
let alice: TestSession;
let cleanup: TestSession;
let bob: TestSession;
const all: AuditEvent[] = [];
const start = Date.UTC(2026, 4, 1, 12);

beforeAll(() => {
  store = SqliteAuditStore.open(':memory:');
  const trail = new TrailBuilder(start, 60_000); // one event a minute
  alice = trail.session({ initiator: 'alice@example.com', namespace: 'agents', pod: 'planner-1' });
  cleanup = trail.session({ parent: alice, agent: 's3-cleanup' });
  bob = trail.session({ initiator: 'bob@example.com', namespace: 'ci', pod: 'runner-7' });
  all.push(
    alice.started(),
    alice.call({ operation: 'GetObject', resources: ['arn:aws:s3:::acme-logs/2026/05/01/app.log'], responseText: '{"level":"info","msg":"lifecycle policy applied"}' }),
    alice.call({ service: 'dynamodb', operation: 'GetItem', resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/orders'], errorCode: 'ResourceNotFoundException', errorMessage: 'Requested resource not found' }),
    cleanup.started(),
    cleanup.call({ operation: 'ListObjectsV2', resources: ['arn:aws:s3:::acme-logs'] }),
    cleanup.call({ operation: 'DeleteObject', resources: ['arn:aws:s3:::acme-logs/tmp/a.gz'], decision: 'Deny', responseText: 'Access Denied by rule "no-delete" (OR else)' }),
    cleanup.call({ operation: 'DeleteObject', resources: ['arn:aws:s3:::acme-logs/tmp/b.gz'] }),
    bob.started(),
    bob.call({ service: 'sts', operation: 'GetCallerIdentity', resources: [] }),
    bob.call({ operation: 'GetObject', resources: ['arn:aws:s3:::acme-logs-archive/2026/x.json'], requestText: 'name=O\'Brien&size=3*4-1' }),
    bob.call({ service: 'iam', operation: 'DeleteRole', resources: ['arn:aws:iam::123456789012:role/ci-deployer'], decision: 'RequireApproval' }),
    cleanup.ended(),
    bob.ended('job finished'),
  );
  store.insert(all);
});
afterAll(() => store.close());

const ids = (events: readonly AuditEvent[]): string[] => events.map((e) => e.id);
const newestFirst = (pick: (e: AuditEvent) => boolean): string[] => ids(all.filter(pick).reverse());
const find = (q: SearchQuery): string[] => ids(store.search(q).events);
const inSession = (...ss: TestSession[]) => (e: AuditEvent): boolean => ss.some((s) => s.id === e.session.id);

describe('search filters', () => {
  it('by initiator, agent, chain member and namespace (session attributes)', () => {
    expect(find({ initiator: 'alice@example.com' })).toEqual(newestFirst(inSession(alice, cleanup)));
    expect(find({ agent: 's3-cleanup' })).toEqual(newestFirst(inSession(cleanup)));
    expect(find({ chainMember: 'Pod agents/planner-1' })).toEqual(newestFirst(inSession(alice, cleanup)));
    expect(find({ chainMember: 'Agent "s3-cleanup"' })).toEqual(newestFirst(inSession(cleanup)));
    expect(find({ chainMember: 'bob@example.com' })).toEqual(newestFirst(inSession(bob)));
    expect(find({ chainMember: 'Agent bob@example.com' })).toEqual([]);
    expect(find({ namespace: 'ci' })).toEqual(newestFirst(inSession(bob)));
    expect(find({ initiator: 'carol@example.com' })).toEqual([]);
  });

  it('by session, in seq order, with its delegations when asked', () => {
    expect(find({ session: alice.id })).toEqual(newestFirst(inSession(alice)));
    expect(find({ session: alice.id, order: 'asc' })).toEqual(ids(all.filter(inSession(alice))));
    expect(find({ session: alice.id, includeDescendants: true })).toEqual(newestFirst(inSession(alice, cleanup)));
    expect(find({ session: 'unknown' })).toEqual([]);
  });

  it('by service and operation glob', () => {
    const call = (e: AuditEvent, f: (c: Extract<AuditEvent, { type: 'aws.call' }>) => boolean): boolean => e.type === 'aws.call' && f(e);
    expect(find({ service: 'dynamodb' })).toEqual(newestFirst((e) => call(e, (c) => c.aws.service === 'dynamodb')));
    expect(find({ operation: 's3:Get*' })).toEqual(newestFirst((e) => call(e, (c) => c.aws.service === 's3' && c.aws.operation.startsWith('Get'))));
    expect(find({ operation: '*:Delete*' })).toEqual(newestFirst((e) => call(e, (c) => c.aws.operation.startsWith('Delete'))));
    expect(find({ operation: 'deleteobject' })).toEqual(newestFirst((e) => call(e, (c) => c.aws.operation === 'DeleteObject')));
    expect(find({ service: 's3', operation: 'Get*' })).toEqual(find({ operation: 's3:Get*' }));
    expect(find({ operation: 's3:Put*' })).toEqual([]);
  });

  it('by resource, exact or by prefix', () => {
    const withResource = (f: (r: string) => boolean) => (e: AuditEvent): boolean => e.type === 'aws.call' && e.aws.resources.some(f);
    expect(find({ resource: 'arn:aws:s3:::acme-logs' })).toEqual(newestFirst(withResource((r) => r === 'arn:aws:s3:::acme-logs')));
    expect(find({ resource: 'arn:aws:s3:::acme-logs/tmp/*' })).toEqual(newestFirst(withResource((r) => r.startsWith('arn:aws:s3:::acme-logs/tmp/'))));
    const acme = newestFirst(withResource((r) => r.startsWith('arn:aws:s3:::acme-lo')));
    expect(acme).toHaveLength(5);
    expect(find({ resource: 'arn:aws:s3:::acme-logs*' })).toEqual(acme);
    expect(find({ resource: 'arn:aws:s3:::acme-lo*' })).toEqual(acme);
    expect(find({ resource: 'arn:aws:s3:::acme-logs-*' })).toEqual(newestFirst(withResource((r) => r.startsWith('arn:aws:s3:::acme-logs-'))));
    expect(find({ resource: 'arn:aws:dynamodb:*' })).toEqual(newestFirst(withResource((r) => r.startsWith('arn:aws:dynamodb:'))));
    expect(find({ resource: 'arn:aws:iam::123456789012:role/ci-deployer' })).toHaveLength(1);
    expect(find({ resource: 'arn:aws:s3:::acme-logs/tmp' })).toEqual([]); // exact means exact
  });

  it('by decision and type', () => {
    expect(find({ decision: 'Deny' })).toEqual(newestFirst((e) => e.type === 'aws.call' && e.decision.action === 'Deny'));
    expect(find({ decision: 'RequireApproval' })).toHaveLength(1);
    expect(find({ decision: 'Allow' })).toEqual(newestFirst((e) => e.type === 'aws.call' && e.decision.action === 'Allow'));
    expect(find({ type: 'session.ended' })).toEqual(newestFirst((e) => e.type === 'session.ended'));
    expect(find({ type: 'aws.call', initiator: 'bob@example.com' })).toHaveLength(3);
  });

  it('by time range: since inclusive, until exclusive', () => {
    const t = (minutes: number): Date => new Date(start + minutes * 60_000);
    expect(find({ since: t(3), until: t(6), order: 'asc' })).toEqual(ids(all.slice(3, 6)));
    expect(find({ since: t(11) })).toEqual(ids(all.slice(11).reverse()));
    expect(find({ until: t(0) })).toEqual([]);
  });

  it('by free text: tokens anywhere in the event, words as phrases, case and diacritics folded', () => {
    expect(find({ text: 'ResourceNotFoundException' })).toEqual([all[2]!.id]);
    expect(find({ text: 'resource NOT found' })).toEqual([all[2]!.id]);
    expect(find({ text: '"not found resource"' })).toEqual([]);
    expect(find({ text: 'acme-logs tmp' })).toHaveLength(2);
    expect(find({ text: 'lifecycle', initiator: 'bob@example.com' })).toEqual([]);
    expect(find({ text: 's3:GetObject' })).toHaveLength(2);
  });

  it('by free text naming a chain actor: every event of those sessions', () => {
    expect(find({ text: 's3-cleanup' })).toEqual(newestFirst(inSession(cleanup)));
    expect(find({ text: 's3-cleanup DeleteObject' })).toEqual(newestFirst((e) => inSession(cleanup)(e) && e.type === 'aws.call' && e.aws.operation === 'DeleteObject'));
  });

  it('takes odd characters in free text literally and never fails on them', () => {
    expect(find({ text: '"no-delete"' })).toEqual([all[5]!.id]);
    expect(find({ text: 'OR' })).toEqual([all[5]!.id]);
    expect(find({ text: 'denied OR else' })).toEqual([all[5]!.id]);
    expect(find({ text: "O'Brien" })).toEqual([all[9]!.id]);
    expect(find({ text: '3*4-1' })).toEqual([all[9]!.id]);
    for (const text of ['"', '""', '*', '-', '- * "', 'NEAR(', 'AND', 'a" OR "b', '^', '(', ')', ':', '{col}', 'ÿ', '\u0000']) {
      expect(() => store.search({ text })).not.toThrow();
    }
    expect(find({ text: '*' })).toHaveLength(all.length); // no token: no text condition
    expect(find({ text: 'xyzzy' })).toEqual([]);
  });
});

describe('pagination', () => {
  const pages = (q: SearchQuery): string[][] => {
    const out: string[][] = [];
    let cursor: string | undefined;
    do {
      const r = store.search(cursor === undefined ? q : { ...q, cursor });
      out.push(ids(r.events));
      cursor = r.nextCursor;
    } while (cursor !== undefined && out.length < 50);
    return out;
  };

  it('walks every result once, in both orders, across the different access paths', () => {
    for (const q of [{}, { order: 'asc' as const }, { session: bob.id }, { session: bob.id, order: 'asc' as const }, { text: 'acme' }, { operation: 's3:*' }, { initiator: 'alice@example.com' }]) {
      const whole = find({ ...q, limit: 1000 });
      const paged = pages({ ...q, limit: 2 });
      expect(paged.flat()).toEqual(whole);
      expect(paged.slice(0, -1).every((p) => p.length === 2)).toBe(true);
    }
  });

  it('ends without a cursor when the last page is full', () => {
    expect(store.search({ session: alice.id, limit: 3 }).nextCursor).toBeUndefined();
    expect(store.search({ session: alice.id, limit: 2 }).nextCursor).toBeDefined();
  });

  it('refuses a cursor it did not issue for this kind of search', () => {
    const seqCursor = store.search({ session: alice.id, limit: 1 }).nextCursor as string;
    expect(() => store.search({ cursor: seqCursor })).toThrow(expect.objectContaining({ code: 'AUDIT_STORE_CURSOR_INVALID' }));
    expect(() => store.search({ cursor: 'garbage' })).toThrow(expect.objectContaining({ code: 'AUDIT_STORE_CURSOR_INVALID' }));
  });

  it('refuses an invalid time rather than matching nothing or everything', () => {
    expect(() => store.search({ since: new Date('yesterday-ish') })).toThrow(expect.objectContaining({ code: 'AUDIT_STORE_QUERY_INVALID' }));
    expect(() => store.sessions({ until: new Date(Number.NaN) })).toThrow(expect.objectContaining({ code: 'AUDIT_STORE_QUERY_INVALID' }));
  });

  it('clamps the limit', () => {
    expect(store.search({ limit: 0 }).events).toHaveLength(1);
    expect(store.search({ limit: 10 ** 9 }).events).toHaveLength(all.length);
  });
});

describe('events() for export', () => {
  it('iterates lazily, oldest first, with the same filters', () => {
    const it = store.events({ initiator: 'bob@example.com' })[Symbol.iterator]();
    expect(it.next().value).toEqual(all[7]);
    expect([...store.events({ initiator: 'bob@example.com' })]).toEqual(all.filter(inSession(bob)));
    expect([...store.events({ decision: 'Deny', order: 'desc' })]).toEqual([all[5]]);
  });
});
