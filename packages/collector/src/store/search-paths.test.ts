import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ulidTime, type AuditEvent } from '@agentrail/core';
import type { SearchQuery } from './audit-store.js';
import { eventText, hasPhrase, parseFreeText, sessionText, tokenize } from './search-text.js';
import { parseChainMember } from './session-finder.js';
import { SqliteAuditStore } from './sqlite-audit-store.js';
import { TrailBuilder, type TestSession } from './testing/trail-builder.js';
import { seededRandom } from '../../../core/src/testing/seeded-random.js';

/**
 * The planner picks among FTS5, four indexes, a sort or a time-ordered scan
 * by how many events each filter leaves; every path must give what the
 * filters mean. This store is large enough (2,600 events, one initiator with
 * most of them) to cross the planner's thresholds, and each query is checked
 * against a plain filter over all events.
 */
const random = seededRandom(7);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
const OPS = [['s3', 'GetObject'], ['s3', 'PutObject'], ['s3', 'DeleteObject'], ['s3', 'ListObjectsV2'], ['dynamodb', 'Query'], ['sts', 'GetCallerIdentity'], ['iam', 'DeleteRole']] as const;
const WORDS = ['lifecycle policy applied', 'access denied', 'rate exceeded', 'throttled request', 'café crème', 'quota-limit reached', 'no such key'];

let store: SqliteAuditStore;
const events: AuditEvent[] = [];
const sessions = new Map<string, TestSession>();
const start = Date.UTC(2026, 4, 1);

beforeAll(() => {
  store = SqliteAuditStore.open(':memory:');
  const trail = new TrailBuilder(start, 1_000);
  const live: TestSession[] = [];
  const open = (s: TestSession): void => {
    sessions.set(s.id, s);
    live.push(s);
    events.push(s.started());
  };
  for (let i = 0; i < 40; i++) {
    const parent = i % 4 === 3 ? pick(live) : undefined;
    const initiator = random() < 0.8 ? 'alice@example.com' : pick(['bob@example.com', 'carol@example.com']);
    open(trail.session(parent === undefined ? { initiator, namespace: pick(['agents', 'ci', 'data']) } : { parent, agent: pick(['s3-cleanup', 'reporter']) }));
  }
  while (events.length < 2_600) {
    const s = pick(live);
    const [service, operation] = pick(OPS);
    const bucket = pick(['acme-logs', 'acme-data']);
    events.push(s.call({
      service, operation,
      resources: service === 's3' ? [`arn:aws:s3:::${bucket}/${pick(['tmp', 'reports'])}/${Math.floor(random() * 50)}.gz`] : [],
      decision: random() < 0.9 ? 'Allow' : pick(['Deny', 'RequireApproval'] as const),
      ...(random() < 0.3 ? { responseText: pick(WORDS) } : {}),
    }));
  }
  for (const s of live.slice(0, 10)) events.push(s.ended());
  // Arrival in shuffled batches, as after a publisher's outage.
  const shuffled = [...events].sort(() => random() - 0.5);
  for (let i = 0; i < shuffled.length; i += 500) store.insert(shuffled.slice(i, i + 500));
});
afterAll(() => store.close());

function matches(e: AuditEvent, q: SearchQuery): boolean {
  const s = sessions.get(e.session.id) as TestSession;
  const call = e.type === 'aws.call' ? e : undefined;
  const t = ulidTime(e.id);
  if (q.initiator !== undefined && s.initiator !== q.initiator) return false;
  if (q.namespace !== undefined && s.namespace !== q.namespace) return false;
  if (q.agent !== undefined && !s.chain.some((a) => a.type === 'Agent' && a.name === q.agent)) return false;
  if (q.chainMember !== undefined) {
    const m = parseChainMember(q.chainMember);
    if (!s.chain.some((a) => a.name === m.name && (m.type === undefined || a.type === m.type))) return false;
  }
  if (q.session !== undefined) {
    let x: TestSession | undefined = s;
    while (x !== undefined && x.id !== q.session) x = q.includeDescendants === true && x.parent !== undefined ? sessions.get(x.parent) : undefined;
    if (x === undefined) return false;
  }
  if (q.service !== undefined && call?.aws.service !== q.service) return false;
  if (q.operation !== undefined && !(call !== undefined && new RegExp(`^${q.operation.replaceAll('*', '.*')}$`, 'i').test(`${call.aws.service}:${call.aws.operation}`))) return false;
  if (q.resource !== undefined && !call?.aws.resources.some((r) => (q.resource?.endsWith('*') === true ? r.startsWith(q.resource.slice(0, -1)) : r === q.resource))) return false;
  if (q.decision !== undefined && call?.decision.action !== q.decision) return false;
  if (q.type !== undefined && e.type !== q.type) return false;
  if (q.since !== undefined && t < q.since.getTime()) return false;
  if (q.until !== undefined && t >= q.until.getTime()) return false;
  if (q.text !== undefined) {
    const own = tokenize(eventText(e));
    const chain = tokenize(sessionText(s.initiator, s.chain));
    if (!parseFreeText(q.text).every((p) => hasPhrase(own, p) || hasPhrase(chain, p))) return false;
  }
  return true;
}

function randomQuery(): SearchQuery {
  const q: SearchQuery = {};
  const choices: (() => void)[] = [
    () => { q.initiator = pick(['alice@example.com', 'bob@example.com']); },
    () => { q.namespace = pick(['agents', 'ci']); },
    () => { q.agent = pick(['s3-cleanup', 'reporter']); },
    () => { q.chainMember = pick(['carol@example.com', 'Agent reporter', 'User alice@example.com']); },
    () => { q.session = pick([...sessions.keys()]); q.includeDescendants = random() < 0.5; },
    () => { q.service = pick(['s3', 'dynamodb', 'iam']); },
    () => { q.operation = pick(['s3:Get*', 's3:DeleteObject', '*:Delete*', 'sts:*']); },
    () => { q.resource = pick(['arn:aws:s3:::acme-logs/tmp/*', 'arn:aws:s3:::acme-data/reports/7.gz', 'arn:aws:s3:::acme-*']); },
    () => { q.decision = pick(['Allow', 'Deny', 'RequireApproval'] as const); },
    () => { q.type = pick(['aws.call', 'session.started', 'session.ended'] as const); },
    () => { q.since = new Date(start + Math.floor(random() * 2_600) * 1_000); },
    () => { q.until = new Date(start + Math.floor(random() * 2_600) * 1_000); },
    () => { q.text = pick(['denied', '"access denied"', 'rate', 'cafe', 'quota-limit', 's3-cleanup', 'reporter GetObject', 'alice throttled', 'tmp', 'acme-logs reports', 'OR', 'no such']); },
  ];
  const n = 1 + Math.floor(random() * 3);
  for (let i = 0; i < n; i++) pick(choices)();
  if (random() < 0.3) q.order = 'asc';
  return q;
}

describe('search access paths', () => {
  it('every plan returns exactly the events its filters select, in order, across pages', () => {
    for (let i = 0; i < 150; i++) {
      const q = randomQuery();
      const limit = pick([7, 50, 400]);
      const seqOrder = q.session !== undefined && q.includeDescendants !== true && q.text === undefined && q.resource === undefined;
      const want = events.filter((e) => matches(e, q)).sort(seqOrder ? (a, b) => a.session.seq - b.session.seq : (a, b) => (a.id < b.id ? -1 : 1));
      if (q.order !== 'asc') want.reverse();
      const got: string[] = [];
      let cursor: string | undefined;
      do {
        const r = store.search({ ...q, limit, ...(cursor === undefined ? {} : { cursor }) });
        got.push(...r.events.map((e) => e.id));
        cursor = r.nextCursor;
      } while (cursor !== undefined);
      expect({ q, got }).toEqual({ q, got: want.map((e) => e.id) });
    }
  });
});
