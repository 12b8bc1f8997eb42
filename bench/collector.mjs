// The collector's embedded audit store (SQLite, FTS5) against the design
// brief's targets (§8): ingest events/s on one core with FTS, bytes per event
// at rest (indexes included), and search latency for indexed filters and
// free text.
//
//   npx tsc -p packages/core && npx tsc -p packages/collector   (or make build)
//   node bench/collector.mjs [--events 1000000] [--batch 1000] [--queries 60]
//                            [--canonical-input] [--dir DIR] [--keep] [--no-verify] [--out FILE]
//
// Events are realistic aws.call events (~1.4 KB of JSON: chains, sources,
// ARNs, masked request/response excerpts, 6% denied, 5% AWS errors) from 200
// concurrent sessions, a fifth of them delegations, sealed with core's
// SessionChainer like a sidecar seals them. Generating and sealing them is not
// timed; only `store.insert()` is, in batches of --batch (1000 is the
// collector's ingest default). The process is pinned to one CPU when
// taskset is available. Prints one JSON summary (and writes it to --out).
// --canonical-input hands the store events parsed from their canonical JSON,
// as if publishers sent the text they hashed: the store then skips sorting
// members before it checks the hash.

import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { pinSelf, PINNING } from './lib/procs.mjs';
import { seededRandom } from './lib/random.mjs';
import { summarise } from './lib/stats.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const COLLECTOR = path.join(ROOT, 'packages', 'collector', 'dist', 'index.js');
const CORE = path.join(ROOT, 'packages', 'core', 'dist', 'index.js');
if (!existsSync(COLLECTOR) || !existsSync(CORE)) {
  console.error('build first: npx tsc -p packages/core && npx tsc -p packages/collector');
  process.exit(2);
}
const { SqliteAuditStore } = await import(COLLECTOR);
const { SessionChainer, canonicalJson } = await import(CORE);

// ---------------------------------------------------------------- settings
function flag(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return def;
  if (typeof def === 'boolean') return true;
  const v = process.argv[i + 1];
  if (v === undefined) throw new Error(`--${name} needs a value`);
  return typeof def === 'number' ? Number(v.replaceAll('_', '')) : v;
}
const cfg = {
  events: flag('events', 1_000_000),
  batch: flag('batch', 1000),
  queries: flag('queries', 60),
  dir: flag('dir', ''),
  keep: flag('keep', false),
  verify: !flag('no-verify', false),
  canonicalInput: flag('canonical-input', false),
  out: flag('out', ''),
};
for (const k of ['events', 'batch', 'queries']) {
  if (!Number.isInteger(cfg[k]) || cfg[k] <= 0) throw new Error(`--${k} must be a positive integer`);
}

// ---------------------------------------------------------------- events
const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const HEX = '0123456789abcdef';
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const USERS = Array.from({ length: 20 }, (_, i) => `${['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'][i % 10]}${i >= 10 ? i : ''}@example.com`);
const AGENTS = ['s3-cleanup', 'cost-report', 'deployer', 'log-shipper', 'db-migrate', 'incident-bot'];
const NAMESPACES = ['agents', 'ci', 'data', 'platform', 'ml'];
const BUCKETS = ['acme-logs', 'acme-data-lake', 'acme-artifacts', 'ml-training-sets', 'backups-eu'];
const OPS = [
  ['s3', 'GetObject', 'GET', 20], ['s3', 'PutObject', 'PUT', 10], ['s3', 'ListObjectsV2', 'GET', 10], ['s3', 'DeleteObject', 'DELETE', 3],
  ['dynamodb', 'GetItem', 'POST', 8], ['dynamodb', 'PutItem', 'POST', 5], ['dynamodb', 'Query', 'POST', 6],
  ['sts', 'GetCallerIdentity', 'POST', 3], ['ec2', 'DescribeInstances', 'POST', 4], ['lambda', 'Invoke', 'POST', 4],
  ['sqs', 'SendMessage', 'POST', 6], ['sqs', 'ReceiveMessage', 'POST', 6], ['secretsmanager', 'GetSecretValue', 'POST', 3],
  ['kms', 'Decrypt', 'POST', 3], ['iam', 'ListRoles', 'POST', 1], ['logs', 'PutLogEvents', 'POST', 8],
];
const ACCOUNT = '123456789012';

/** A generator of sealed events, one mean gap apart (20 ms: 1 M events ≈ 5.5 h, 10 M ≈ 2.3 days). */
function eventSource({ seed = 1, start = Date.UTC(2026, 4, 1), meanGapMs = 20, active = 200 } = {}) {
  const rnd = seededRandom(seed);
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const str = (n, abc = B32) => { let s = ''; for (let i = 0; i < n; i++) s += abc[Math.floor(rnd() * abc.length)]; return s; };
  const uuid = () => `${str(8, HEX)}-${str(4, HEX)}-4${str(3, HEX)}-a${str(3, HEX)}-${str(12, HEX)}`;
  const opTable = OPS.flatMap((o) => Array(o[3]).fill(o));
  let now = start;
  let lastMs = -1;
  let lastRand = [];
  // ULIDs as one sidecar makes them: monotonic within a millisecond.
  const ulid = () => {
    const ms = Math.floor(now);
    let t = ms;
    let time = '';
    for (let i = 0; i < 10; i++) { time = B32[t % 32] + time; t = Math.floor(t / 32); }
    if (ms === lastMs) {
      for (let i = 15; i >= 0; i--) { if (lastRand[i] < 31) { lastRand[i] += 1; break; } lastRand[i] = 0; }
    } else {
      lastMs = ms;
      lastRand = Array.from({ length: 16 }, () => Math.floor(rnd() * 32));
    }
    return time + lastRand.map((d) => B32[d]).join('');
  };
  const iso = () => new Date(Math.floor(now)).toISOString();
  const live = [];
  const samples = { sessions: [], traces: [], keys: [] };
  const sample = (list, v) => { if (list.length < 500) list.push(v); else if (rnd() < 0.01) list[Math.floor(rnd() * 500)] = v; };
  const newSession = (parent) => {
    const user = parent ? parent.initiator : pick(USERS);
    const ns = parent ? parent.ns : pick(NAMESPACES);
    const pod = `${pick(['planner', 'worker', 'runner', 'sweeper'])}-${str(5, ALNUM)}`;
    const chain = parent ? [...parent.chain, { type: 'Agent', name: pick(AGENTS) }] : [{ type: 'User', name: user }, { type: 'Pod', name: `${ns}/${pod}` }];
    const s = {
      id: ulid(), parent: parent?.id, initiator: user, ns, chain, remaining: 20 + Math.floor(rnd() ** 2 * 3000),
      chainer: new SessionChainer(), region: pick(['eu-west-1', 'eu-west-1', 'eu-central-1', 'us-east-1']), bucket: pick(BUCKETS), started: false,
      source: { cluster: 'prod-eu-1', namespace: ns, pod: `${pod}-${str(5, ALNUM)}`, uid: uuid() },
      ua: pick(['aws-sdk-js/3.1169.0 ua/2.1 os/linux#6.8 lang/js md/nodejs#24.21.0', 'Boto3/1.40.2 md/Botocore#1.40.2 ua/2.1 os/linux#6.8 lang/python#3.12.3', 'aws-cli/2.9.19 Python/3.11.2 Linux/6.8 command/s3.cp']),
    };
    live.push(s);
    sample(samples.sessions, s.id);
    return s;
  };
  for (let i = 0; i < active; i++) newSession(i % 5 === 4 ? live[i - 1] : undefined);
  const base = (s, type) => ({
    v: 1, id: ulid(), time: iso(), type, session: s.parent ? { id: s.id, parent: s.parent } : { id: s.id },
    initiator: s.initiator, chain: s.chain, source: { ...s.source },
  });
  const call = (s) => {
    const [service, operation, method] = pick(opTable);
    const key = `${pick(['logs', 'exports', 'tmp', 'reports'])}/2026/05/${String(1 + Math.floor(rnd() * 28)).padStart(2, '0')}/${str(8, ALNUM)}.json.gz`;
    let resources = [];
    let pathName = '/';
    let host = `${service}.${s.region}.amazonaws.com`;
    let reqBody;
    let respText;
    if (service === 's3') {
      resources = operation === 'ListObjectsV2' ? [`arn:aws:s3:::${s.bucket}`] : [`arn:aws:s3:::${s.bucket}/${key}`];
      if (operation !== 'ListObjectsV2') sample(samples.keys, resources[0]);
      host = `${s.bucket}.s3.${s.region}.amazonaws.com`;
      pathName = operation === 'ListObjectsV2' ? '/' : `/${key}`;
      if (operation === 'ListObjectsV2') {
        respText = `<ListBucketResult><Name>${s.bucket}</Name><KeyCount>1</KeyCount><Contents><Key>${key}</Key><LastModified>2026-05-0${1 + Math.floor(rnd() * 9)}T10:${str(2, '012345')}:00.000Z</LastModified><ETag>&quot;${str(32, HEX)}&quot;</ETag><Size>${Math.floor(rnd() * 1e6)}</Size></Contents></ListBucketResult>`;
      } else if (operation === 'GetObject') {
        const trace = str(32, HEX);
        respText = `{"level":"info","msg":"request served","path":"/api/v1/items/${str(6, HEX)}","status":200,"durationMs":${Math.floor(rnd() * 900)},"user":"***","token":"***","trace":"${trace}"}`;
      }
    } else if (service === 'dynamodb') {
      const table = pick(['orders', 'users', 'sessions', 'inventory']);
      resources = [`arn:aws:dynamodb:${s.region}:${ACCOUNT}:table/${table}`];
      reqBody = `{"TableName":"${table}","Key":{"pk":{"S":"${table.slice(0, -1)}#${str(10, HEX)}"},"sk":{"S":"v0"}},"ConsistentRead":false}`;
      respText = `{"Item":{"pk":{"S":"${table.slice(0, -1)}#${str(10, HEX)}"},"sk":{"S":"v0"},"email":{"S":"***"},"status":{"S":"${pick(['active', 'pending', 'closed'])}"},"updatedAt":{"N":"17${str(8, '0123456789')}"}}}`;
    } else if (service === 'sqs') {
      resources = [`arn:aws:sqs:${s.region}:${ACCOUNT}:${pick(['jobs', 'events', 'dead-letter'])}`];
      reqBody = `{"QueueUrl":"https://sqs.${s.region}.amazonaws.com/${ACCOUNT}/jobs","MessageBody":"***","MaxNumberOfMessages":10}`;
      respText = `{"MessageId":"${uuid()}","MD5OfMessageBody":"${str(32, HEX)}"}`;
    } else if (service === 'secretsmanager') {
      resources = [`arn:aws:secretsmanager:${s.region}:${ACCOUNT}:secret:prod/db/${pick(['orders', 'users'])}-${str(6)}`];
      reqBody = '{"SecretId":"prod/db/orders"}';
      respText = `{"ARN":"${resources[0]}","Name":"prod/db/orders","SecretString":"***","VersionId":"${uuid()}"}`;
    } else if (service === 'logs') {
      resources = [`arn:aws:logs:${s.region}:${ACCOUNT}:log-group:/agents/${s.ns}:log-stream:${str(12, HEX)}`];
      reqBody = `{"logGroupName":"/agents/${s.ns}","logStreamName":"${str(12, HEX)}","logEvents":[{"timestamp":17${str(11, '0123456789')},"message":"processed batch ${Math.floor(rnd() * 1e5)} items=${Math.floor(rnd() * 500)} ok"}]}`;
      respText = `{"nextSequenceToken":"${str(56, '0123456789')}"}`;
    } else if (service === 'lambda') {
      resources = [`arn:aws:lambda:${s.region}:${ACCOUNT}:function:${pick(['resize-images', 'etl-step', 'notify'])}`];
      reqBody = `{"bucket":"${s.bucket}","key":"${key}","mode":"***"}`;
      respText = `{"statusCode":200,"body":"{\\"processed\\":${Math.floor(rnd() * 100)},\\"skipped\\":0}"}`;
    } else if (service === 'ec2') {
      respText = `<DescribeInstancesResponse><requestId>${uuid()}</requestId><reservationSet><item><instancesSet><item><instanceId>i-${str(17, HEX)}</instanceId><instanceType>m7i.large</instanceType></item></instancesSet></item></reservationSet></DescribeInstancesResponse>`;
    } else if (service === 'kms') {
      resources = [`arn:aws:kms:${s.region}:${ACCOUNT}:key/${uuid()}`];
      respText = `{"KeyId":"${resources[0]}","Plaintext":"***","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}`;
    } else if (service === 'sts') {
      respText = `{"UserId":"AROA${str(17)}:agentrail-${s.id.slice(-8)}","Account":"${ACCOUNT}","Arn":"arn:aws:sts::${ACCOUNT}:assumed-role/agent-runner/agentrail-${s.id.slice(-8)}"}`;
    }
    const r = rnd();
    const action = r < 0.92 ? 'Allow' : r < 0.98 ? 'Deny' : 'RequireApproval';
    const denied = action !== 'Allow';
    const err = !denied && rnd() < 0.05 ? pick([['NoSuchKey', 'The specified key does not exist.', 404], ['AccessDenied', 'User is not authorized to perform this operation', 403], ['ThrottlingException', 'Rate exceeded', 400]]) : undefined;
    const respBody = denied
      ? `{"__type":"AccessDeniedException","message":"AgentRail denied ${service}:${operation}: rule ${pick(['no-delete', 'prod-readonly', 'business-hours'])}"}`
      : err ? `<Error><Code>${err[0]}</Code><Message>${err[1]}</Message><RequestId>${str(16, HEX).toUpperCase()}</RequestId></Error>` : respText;
    const e = base(s, 'aws.call');
    e.source.userAgent = s.ua;
    e.aws = {
      service, operation, region: s.region, host, resources, account: ACCOUNT, roleArn: `arn:aws:iam::${ACCOUNT}:role/agent-runner`,
      sourceIdentity: s.initiator, requestId: denied ? `agentrail-${str(12, HEX)}` : str(16, HEX).toUpperCase(),
    };
    e.request = {
      method, path: pathName, bytes: reqBody ? reqBody.length : 0,
      ...(reqBody && method !== 'GET' && rnd() < 0.4 ? { body: { contentType: 'application/x-amz-json-1.0', bytes: reqBody.length, truncated: false, text: reqBody } } : {}),
    };
    e.response = {
      status: denied ? 403 : err ? err[2] : 200,
      ...(denied ? { errorCode: 'AccessDenied', errorMessage: 'Denied by policy rule' } : err ? { errorCode: err[0], errorMessage: err[1] } : {}),
      bytes: respBody ? respBody.length : 0, latencyMs: Math.round(rnd() * 1200) / 10,
      ...(respBody && (denied || err || rnd() < 0.6) ? { body: { contentType: respBody.startsWith('<') ? 'application/xml' : 'application/json', bytes: respBody.length, truncated: false, text: respBody } } : {}),
      from: denied ? 'gateway' : 'upstream',
    };
    e.decision = { action, policy: `${s.ns}/default`, rule: denied ? pick(['no-delete', 'prod-readonly', 'business-hours']) : pick(['read-all', 'write-own-bucket', 'logs']) };
    if (respBody?.includes('***')) e.masking = { fields: ['response.body.SecretString', 'response.body.token'] };
    const trace = /"trace":"([0-9a-f]{32})"/.exec(e.response.body?.text ?? '');
    if (trace !== null) sample(samples.traces, trace[1]); // an id that is searchable: its body was recorded
    return e;
  };
  function next() {
    now += -Math.log(1 - rnd()) * meanGapMs;
    const i = Math.floor(rnd() * live.length);
    const s = live[i];
    let ev;
    if (!s.started) { s.started = true; ev = base(s, 'session.started'); }
    else if (s.remaining-- <= 0) {
      ev = { ...base(s, 'session.ended'), reason: 'pod terminated' };
      live.splice(i, 1);
      newSession(rnd() < 0.2 ? live[Math.floor(rnd() * live.length)] : undefined);
    } else ev = call(s);
    return s.chainer.seal(ev);
  }
  return { next, samples, start, now: () => now };
}

// ---------------------------------------------------------------- run
const cpus = os.availableParallelism();
const pinned = pinSelf(1);
const dir = cfg.dir || mkdtempSync(path.join(os.tmpdir(), 'agentrail-bench-store-'));
const file = path.join(dir, 'audit.db');
for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
const src = eventSource();
let store = SqliteAuditStore.open(file);

let insertMs = 0;
let cpuMicros = 0;
let jsonBytes = 0;
let inserted = 0;
const t0 = performance.now();
while (inserted < cfg.events) {
  const batch = [];
  for (let i = 0; i < Math.min(cfg.batch, cfg.events - inserted); i++) {
    const e = src.next();
    batch.push(cfg.canonicalInput ? JSON.parse(canonicalJson(e)) : e);
  }
  if (inserted < 20_000) for (const e of batch) jsonBytes += JSON.stringify(e).length;
  const c0 = process.cpuUsage();
  const s0 = performance.now();
  const r = store.insert(batch);
  insertMs += performance.now() - s0;
  const c = process.cpuUsage(c0);
  cpuMicros += c.user + c.system;
  if (r.inserted !== batch.length || r.breaks.length > 0) throw new Error(`unexpected insert result ${JSON.stringify(r).slice(0, 300)}`);
  inserted += batch.length;
  if (inserted % 200_000 < cfg.batch) process.stderr.write(`ingested ${inserted} (${Math.round(inserted / insertMs * 1000)} events/s)\n`);
}
const totalS = (performance.now() - t0) / 1000;
store.close();

// Size at rest: WAL checkpointed into the main file and truncated.
const raw = new DatabaseSync(file);
raw.exec('PRAGMA wal_checkpoint(TRUNCATE)');
const tables = {};
try {
  for (const r of raw.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all()) {
    if (r.bytes / inserted >= 0.05) tables[r.name] = Math.round((r.bytes / inserted) * 10) / 10;
  }
} catch { /* dbstat is optional in SQLite builds */ }
const sqliteVersion = raw.prepare('SELECT sqlite_version() AS v').get().v;
raw.close();
const fileBytes = statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);

// ---------------------------------------------------------------- search
store = SqliteAuditStore.open(file);
const rq = seededRandom(99);
const pickQ = (a) => a[Math.floor(rq() * a.length)];
const span = src.now() - src.start;
const at = (f) => new Date(src.start + f * span);
const QUERIES = {
  indexed: {
    initiator: () => ({ initiator: pickQ(USERS) }),
    session: () => ({ session: pickQ(src.samples.sessions) }),
    'session+descendants': () => ({ session: pickQ(src.samples.sessions), includeDescendants: true }),
    agent: () => ({ agent: pickQ(AGENTS) }),
    chainMember: () => ({ chainMember: `User ${pickQ(USERS)}` }),
    namespace: () => ({ namespace: pickQ(NAMESPACES) }),
    service: () => ({ service: pickQ(['s3', 'dynamodb', 'kms', 'iam']) }),
    operation: () => ({ operation: pickQ(['s3:GetObject', 'dynamodb:Query', 'iam:ListRoles']) }),
    'operation glob': () => ({ operation: pickQ(['s3:Get*', '*:Delete*', 'sqs:*']) }),
    decision: () => ({ decision: pickQ(['Deny', 'RequireApproval']) }),
    type: () => ({ type: pickQ(['session.started', 'session.ended']) }),
    'time window (1 h)': () => { const f = rq() * 0.9; return { since: at(f), until: new Date(at(f).getTime() + 3_600_000) }; },
    'initiator+decision+window': () => { const f = rq() * 0.5; return { initiator: pickQ(USERS), decision: 'Deny', since: at(f), until: at(f + 0.5) }; },
    'service+namespace': () => ({ service: pickQ(['s3', 'dynamodb']), namespace: pickQ(NAMESPACES) }),
  },
  text: {
    'common word': () => ({ text: pickQ(['AccessDenied', 'served', 'processed batch', 'NoSuchKey']) }),
    'rare id': () => ({ text: pickQ(src.samples.traces) }),
    phrase: () => ({ text: pickQ(['"not authorized"', '"rate exceeded"', '"request served"']) }),
    'resource prefix': () => ({ resource: `arn:aws:s3:::${pickQ(BUCKETS)}/${pickQ(['logs', 'tmp'])}/*` }),
    'resource exact': () => ({ resource: pickQ(src.samples.keys) }),
    'text+initiator': () => ({ text: pickQ(['AccessDenied', 'ThrottlingException']), initiator: pickQ(USERS) }),
    'chain name': () => ({ text: pickQ(AGENTS) }),
  },
};
const search = {};
for (const [group, queries] of Object.entries(QUERIES)) {
  const all = [];
  search[group] = { byQuery: {} };
  for (const [name, make] of Object.entries(queries)) {
    const times = [];
    let hits = 0;
    store.search(make()); // prepare the statement once, as a long-running collector has
    for (let i = 0; i < cfg.queries; i++) {
      const q = make();
      const s0 = performance.now();
      const r = store.search(q);
      times.push(performance.now() - s0);
      hits += r.events.length;
    }
    const s = summarise(times);
    search[group].byQuery[name] = { p50: round(s.p50), p99: round(s.p99), meanHits: round(hits / cfg.queries) };
    all.push(...times);
  }
  const s = summarise(all);
  Object.assign(search[group], { p50: round(s.p50), p99: round(s.p99) });
}

let verify;
if (cfg.verify) {
  const v0 = performance.now();
  const report = store.verify();
  const ms = performance.now() - v0;
  verify = { eventsPerSec: Math.round((report.events / ms) * 1000), breaks: report.breaks.length, sessions: report.sessions };
}
store.close();
if (!cfg.keep && !cfg.dir) rmSync(dir, { recursive: true, force: true });

function round(v) {
  return Math.round(v * 100) / 100;
}

const summary = {
  bench: 'collector-store',
  events: inserted,
  batch: cfg.batch,
  canonicalInput: cfg.canonicalInput,
  avgEventJsonBytes: Math.round(jsonBytes / Math.min(inserted, 20_000 + cfg.batch)),
  ingest: {
    eventsPerSec: Math.round((inserted / insertMs) * 1000),
    eventsPerCpuSec: Math.round(inserted / (cpuMicros / 1e6)),
    insertSeconds: round(insertMs / 1000),
    wallSecondsWithGeneration: round(totalS),
  },
  size: { bytesPerEvent: round(fileBytes / inserted), fileBytes, perTable: tables },
  search: { limit: 100, queriesEach: cfg.queries, ...search },
  ...(verify ? { verify } : {}),
  targets: { ingestEventsPerSec: 50_000, bytesPerEvent: 500, indexedP50Ms: 10, textP50Ms: 50, at: '10M events' },
  env: { node: process.version, sqlite: sqliteVersion, cpus, pinnedToOneCpu: pinned && PINNING },
};
const json = JSON.stringify(summary, null, 2);
console.log(json);
if (cfg.out) writeFileSync(cfg.out, `${json}\n`);
