// Policy evaluation cost per AWS call (DESIGN §3.4): a namespace with 50
// GatewayPolicies × 20 rules — a mix of service globs, wildcard-service rules
// (`*:Delete*`), resource ARN globs and CEL conditions (chain depth, initiator,
// region, business hours in a time zone) — all selecting the pod (the worst
// case: every rule of the namespace is a candidate), over realistic varied
// calls (S3, DynamoDB, SQS, KMS, Secrets Manager, EC2, IAM, STS, Lambda …,
// different initiators, chains, regions and times).
//
//   npx tsc -p packages/core
//   node bench/policy.mjs [--calls 200000] [--policies 50] [--rules 20] [--json]
//
// Prints compile time, per-call latency (p50/p99/p99.9 µs, timed one call at a
// time) and throughput (calls/s over a tight loop), with the decision mix.
// Pinned to one CPU when taskset is available.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pinSelf, PINNING } from './lib/procs.mjs';
import { seededRandom } from './lib/random.mjs';
import { summarise } from './lib/stats.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CORE = path.join(HERE, '..', 'packages', 'core', 'dist', 'index.js');
if (!existsSync(CORE)) {
  console.error('build first: npx tsc -p packages/core');
  process.exit(2);
}
const { compilePolicy, PolicySet } = await import(CORE);

const { values: opts } = parseArgs({
  options: {
    calls: { type: 'string', default: '200000' },
    policies: { type: 'string', default: '50' },
    rules: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  },
});
const CALLS = Number(opts.calls);
const POLICIES = Number(opts.policies);
const RULES = Number(opts.rules);
if (PINNING) pinSelf(0);

// Seeded PRNG: the same policies and calls on every run.
const rnd = seededRandom(0x5eed);
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];

const ACCOUNT = '123456789012';
const SERVICES = {
  s3: ['GetObject', 'PutObject', 'ListObjectsV2', 'DeleteObject', 'HeadObject', 'ListBuckets', 'GetBucketPolicy'],
  dynamodb: ['GetItem', 'PutItem', 'Query', 'UpdateItem', 'DeleteItem', 'Scan', 'DescribeTable'],
  sqs: ['SendMessage', 'ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'],
  kms: ['Decrypt', 'Encrypt', 'GenerateDataKey', 'DescribeKey'],
  secretsmanager: ['GetSecretValue', 'ListSecrets', 'DescribeSecret', 'PutSecretValue'],
  ec2: ['DescribeInstances', 'RunInstances', 'TerminateInstances', 'DescribeVpcs', 'DeleteSecurityGroup'],
  iam: ['ListRoles', 'GetRole', 'CreateUser', 'DeleteUser', 'AttachRolePolicy'],
  sts: ['GetCallerIdentity', 'AssumeRole'],
  lambda: ['Invoke', 'ListFunctions', 'UpdateFunctionCode', 'DeleteFunction'],
  logs: ['PutLogEvents', 'FilterLogEvents', 'DescribeLogGroups'],
  sns: ['Publish', 'ListTopics'],
  ssm: ['GetParameter', 'GetParametersByPath', 'PutParameter'],
};
const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-southeast-2'];
const TEAMS = ['research', 'data', 'ops', 'ml', 'web', 'billing', 'search', 'infra'];

function resourceFor(service, team, i) {
  switch (service) {
    case 's3': return pick([`arn:aws:s3:::${team}-*`, `arn:aws:s3:::${team}-*/*`, `arn:aws:s3:::${team}-reports-${i}/*`, 'arn:aws:s3:::shared-*/public/*.json']);
    case 'dynamodb': return `arn:aws:dynamodb:*:${ACCOUNT}:table/${team}-*`;
    case 'sqs': return `arn:aws:sqs:*:${ACCOUNT}:${team}-queue-?`;
    case 'kms': return `arn:aws:kms:*:${ACCOUNT}:key/*`;
    case 'secretsmanager': return `arn:aws:secretsmanager:*:${ACCOUNT}:secret:${team}/*`;
    case 'lambda': return `arn:aws:lambda:*:${ACCOUNT}:function:${team}-*`;
    case 'ssm': return `arn:aws:ssm:*:${ACCOUNT}:parameter/${team}/*`;
    default: return '*';
  }
}

const CONDITIONS = [
  'size(identity.chain) > 2',
  "identity.initiator == 'alice@corp.example'",
  "aws.region.startsWith('eu-')",
  "time.getHours('Europe/Berlin') >= 8 && time.getHours('Europe/Berlin') < 18",
  "identity.chain.exists(a, a.type == 'Agent' && a.name.startsWith('sweeper'))",
  "!(identity.initiator in ['bob@corp.example', 'carol@corp.example'])",
];

function makePolicy(p) {
  const team = TEAMS[p % TEAMS.length];
  const rules = [];
  for (let r = 0; r < RULES; r++) {
    // A realistic shape: broad Allow rules scoped by resource, narrow Deny rules
    // (a specific operation, resource or condition), approvals for IAM-ish writes.
    const roll = rnd();
    const service = pick(Object.keys(SERVICES));
    const action = roll < 0.8 ? 'Allow' : roll < 0.93 ? 'Deny' : 'RequireApproval';
    let operations;
    if (action === 'Allow') operations = rnd() < 0.6 ? [`${service}:${pick(['Get*', 'List*', 'Describe*', 'Put*', '*'])}`] : [`${service}:${pick(SERVICES[service])}`, `${service}:${pick(SERVICES[service])}`];
    else if (action === 'Deny') operations = rnd() < 0.25 ? [pick(['*:Delete*', '*:Terminate*'])] : [`${service}:${pick(SERVICES[service])}`];
    else operations = [pick(['iam:*', 'iam:Create*', 'lambda:UpdateFunctionCode', 'secretsmanager:PutSecretValue', `${service}:${pick(SERVICES[service])}`])];
    const rule = { name: `rule-${r}`, action, operations };
    const scoped = action === 'Allow' ? rnd() < 0.5 : rnd() < 0.6;
    if (scoped) rule.resources = [resourceFor(service, team, r)];
    if (rnd() < (action === 'Deny' && !scoped ? 0.6 : 0.1)) rule.when = pick(CONDITIONS);
    if (action === 'Deny' && !scoped && rule.when === undefined) rule.resources = [resourceFor(service, team, r)];
    if (action === 'RequireApproval') rule.approval = { approvers: { groups: ['sre'] }, grantTTL: '10m' };
    rules.push(rule);
  }
  return {
    apiVersion: 'agentrail.dev/v1alpha1',
    kind: 'GatewayPolicy',
    metadata: { name: `${team}-policy-${p}`, namespace: 'agents' },
    spec: {
      podSelector: { matchLabels: { 'agentrail.dev/inject': 'true' } },
      defaultAction: p % 10 === 0 ? 'Deny' : 'Allow',
      rules,
      masking: p % 5 === 0 ? [{ operations: ['secretsmanager:GetSecretValue', 'ssm:GetParameter*'], fields: ['SecretString', 'Parameter.Value'], in: ['Audit'] }] : [],
    },
  };
}

function callResources(service, op) {
  const team = pick(TEAMS);
  switch (service) {
    case 's3': return op === 'ListBuckets' ? ['*'] : [`arn:aws:s3:::${team}-reports-${Math.floor(rnd() * 30)}/2026/${Math.floor(rnd() * 1e6)}.json`];
    case 'dynamodb': return [`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${team}-events`];
    case 'sqs': return [`arn:aws:sqs:eu-west-1:${ACCOUNT}:${team}-queue-${Math.floor(rnd() * 10)}`];
    case 'kms': return [`arn:aws:kms:eu-west-1:${ACCOUNT}:key/0f1e2d3c-${Math.floor(rnd() * 1e4)}`];
    case 'secretsmanager': return [`arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:${team}/db-AbCdEf`];
    case 'lambda': return [`arn:aws:lambda:eu-west-1:${ACCOUNT}:function:${team}-etl`];
    case 'ssm': return [`arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/${team}/db/password`];
    case 'iam': return [`arn:aws:iam::${ACCOUNT}:role/${team}-runner`];
    default: return ['*'];
  }
}

const INITIATORS = ['alice@corp.example', 'bob@corp.example', 'carol@corp.example', 'ci-runner', 'dave@corp.example'];
function makeCall() {
  const service = pick(Object.keys(SERVICES));
  const op = pick(SERVICES[service]);
  const initiator = pick(INITIATORS);
  const chain = [{ type: 'User', name: initiator }, { type: 'Pod', name: 'agents/planner' }];
  const depth = Math.floor(rnd() * 3);
  if (depth > 0) chain.push({ type: 'Pod', name: 'agents/worker' });
  if (depth > 1) chain.push({ type: 'Agent', name: pick(['sweeper', 's3-cleanup', 'indexer']) });
  return {
    identity: { initiator, chain, session: '01J0000000000000000000000', namespace: 'agents', pod: 'planner-7d9f' },
    aws: { service, operation: `${service}:${op}`, region: pick(REGIONS), resources: callResources(service, op), account: ACCOUNT },
    request: { method: 'POST', path: '/', headers: { 'content-type': 'application/x-amz-json-1.1' }, params: {} },
    time: new Date(Date.UTC(2026, 2, 2) + Math.floor(rnd() * 7 * 86_400_000)),
  };
}

// ---------------------------------------------------------------- run
const objects = Array.from({ length: POLICIES }, (_, p) => makePolicy(p));
let t0 = process.hrtime.bigint();
const compiled = objects.map((o) => {
  const r = compilePolicy(o);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
});
const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;
t0 = process.hrtime.bigint();
const set = PolicySet.of(compiled).forPod({ 'agentrail.dev/inject': 'true', team: 'research' }, 'agents');
const indexMs = Number(process.hrtime.bigint() - t0) / 1e6;
const conditions = compiled.reduce((n, p) => n + p.rules.filter((r) => r.condition !== undefined).length, 0);

const DISTINCT = 10_000;
const calls = Array.from({ length: DISTINCT }, makeCall);
const mix = { Allow: 0, Deny: 0, RequireApproval: 0, rule: 0, default: 0 };
for (let i = 0; i < 20_000; i++) set.evaluate(calls[i % DISTINCT]); // warm-up: JIT, service index cache

// Latency: each call timed on its own.
const samples = new Float64Array(CALLS);
for (let i = 0; i < CALLS; i++) {
  const c = calls[i % DISTINCT];
  const s = process.hrtime.bigint();
  const d = set.evaluate(c);
  samples[i] = Number(process.hrtime.bigint() - s) / 1000;
  mix[d.action]++;
  mix[d.reason]++;
}
// Throughput: a tight loop, no per-call clock reads.
const loops = CALLS;
t0 = process.hrtime.bigint();
for (let i = 0; i < loops; i++) set.evaluate(calls[i % DISTINCT]);
const loopSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

const lat = summarise(samples);
const round = (v, d = 2) => Math.round(v * 10 ** d) / 10 ** d;
const result = {
  bench: 'policy-evaluate',
  node: process.version,
  pinned: PINNING,
  policies: set.size,
  rulesPerPolicy: RULES,
  rules: set.size * RULES,
  rulesWithCondition: conditions,
  compileMs: round(compileMs),
  indexMs: round(indexMs),
  calls: CALLS,
  latencyUs: { p50: round(lat.p50), p90: round(lat.p90), p99: round(lat.p99), p999: round(lat.p999), mean: round(lat.mean), max: round(lat.max) },
  callsPerSecond: Math.round(loops / loopSeconds),
  decisions: Object.fromEntries(Object.entries(mix).map(([k, v]) => [k, round(v / CALLS, 3)])),
};
if (opts.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`policy evaluation: ${result.policies} policies × ${RULES} rules (${result.rules} rules, ${conditions} with CEL) selecting one pod; node ${process.version}${PINNING ? ', pinned to CPU 0' : ''}`);
  console.log(`  compile ${result.compileMs} ms (all ${result.policies} policies), index ${result.indexMs} ms`);
  console.log(`  per call over ${CALLS} varied calls: p50 ${result.latencyUs.p50} µs, p90 ${result.latencyUs.p90} µs, p99 ${result.latencyUs.p99} µs, p99.9 ${result.latencyUs.p999} µs, mean ${result.latencyUs.mean} µs`);
  console.log(`  throughput ${result.callsPerSecond.toLocaleString('en-US')} calls/s (one core)`);
  console.log(`  decisions: ${JSON.stringify(result.decisions)}`);
}
