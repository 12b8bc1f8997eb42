// `make bench`: the sidecar's latency, throughput and large-upload memory,
// measured side by side with direct calls in one run. See docs/benchmarks.md.
//
// Paths: direct (client → upstream), proxy (client → a bare Node forwarder,
// null-proxy.mjs → upstream: the cost of one Node HTTP hop) and sidecar
// (client → `agentrail sidecar` → upstream).
// Layout (2+ CPUs): the sidecar and the node proxy (separate processes) are
// pinned to CPU 0; this process (load generator) and the upstream to CPU 1.
// Everything listens on 127.0.0.1 on ephemeral ports; every process started
// here is stopped before exit.
//
// Knobs (env), defaults in brackets:
//   BENCH_DURATION_S [10]       seconds measured per open-loop rate and path
//   BENCH_WARMUP_S [1]          warm-up before each of those
//   BENCH_RUNS [3]              repetitions (figures: median and min–max)
//   BENCH_RATES [500,1000]      open-loop rates, calls/s
//   BENCH_MAX_DURATION_S [5]    seconds of each closed-loop throughput test
//   BENCH_CONCURRENCY [32]      callers in the closed loop
//   BENCH_UPLOAD_MIB [100,1024] upload sizes measured after the 1 MiB one
//   BENCH_PATHS [direct,proxy,sidecar]   BENCH_ONLY [latency,throughput,memory]
//   BENCH_OUT [bench/results/latest.json]
//   BENCH_SIDECAR_NODE_ARGS     extra node flags for the sidecar (e.g. --cpu-prof --cpu-prof-dir=DIR)
//   BENCH_SIDECAR_STDOUT        file to append the sidecar's stdout to (e.g. --trace-gc output)

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { RawPool } from './lib/raw-http.mjs';
import { presignJsonCalls, signedUpload, REGION } from './lib/signing.mjs';
import { summarise, spread } from './lib/stats.mjs';
import {
  CLIENT_CPU, PINNING, SIDECAR_CPU, clockTicks, coreTimes, cpuSeconds, killAllChildrenSync, loadAverage,
  memoryKiB, pinSelf, resetPeakRss, startNode, stopChild,
} from './lib/procs.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const CLI = path.join(ROOT, 'packages', 'cli', 'dist', 'main.js');
const TICKS = clockTicks();

// ---------------------------------------------------------------- settings
const num = (name, def) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return v;
};
const cfg = {
  durationS: num('BENCH_DURATION_S', 10),
  warmupS: num('BENCH_WARMUP_S', 1),
  runs: Math.round(num('BENCH_RUNS', 3)),
  rates: (process.env.BENCH_RATES ?? '500,1000').split(',').map(Number).filter((r) => r > 0),
  maxDurationS: num('BENCH_MAX_DURATION_S', 5),
  concurrency: Math.round(num('BENCH_CONCURRENCY', 32)),
  uploadMiB: (process.env.BENCH_UPLOAD_MIB ?? '100,1024').split(',').map(Number).filter((v) => v > 0),
  only: new Set((process.env.BENCH_ONLY ?? 'latency,throughput,memory').split(',').map((s) => s.trim())),
  out: process.env.BENCH_OUT ?? path.join(HERE, 'results', 'latest.json'),
  sidecarNodeArgs: (process.env.BENCH_SIDECAR_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
  sidecarStdout: process.env.BENCH_SIDECAR_STDOUT || undefined,
  paths: (process.env.BENCH_PATHS ?? 'direct,proxy,sidecar').split(',').map((s) => s.trim()),
};
if (!cfg.paths.includes('direct') || cfg.paths.some((p) => !['direct', 'proxy', 'sidecar'].includes(p))) {
  throw new Error(`BENCH_PATHS must list direct and any of proxy, sidecar; got ${cfg.paths.join(',')}`);
}
const PRESIGNED = 1024; // distinct pre-signed calls per mode, cycled
const POOL_CONNECTIONS = Math.max(64, cfg.concurrency);

const UPSTREAM_CREDS = { accessKeyId: 'AKIABENCHUPSTREAM000', secretAccessKey: randomBytes(30).toString('base64') };

const log = (msg) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (v, d = 1) => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : v);

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const mhz = /^cpu MHz\s*:\s*(.*)$/m.exec(cpuinfo)?.[1];
  let commit = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    if (dirty) commit += '+dirty';
  } catch { /* not a git checkout */ }
  return {
    nproc: os.availableParallelism(), cpuModel: model, cpuMHz: mhz === undefined ? null : Number(mhz),
    memoryGiB: round(os.totalmem() / 2 ** 30, 1), kernel: os.release(), node: process.version,
    pinned: PINNING, commit, loadAverageAtStart: loadAverage(),
  };
}

// ---------------------------------------------------------------- processes
function baseEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AWS_|AGENTRAIL_|NODE_OPTIONS$)/.test(k)) env[k] = v;
  return env;
}

async function startUpstream() {
  const env = { ...baseEnv(), BENCH_UPSTREAM_KEYS: JSON.stringify({ [UPSTREAM_CREDS.accessKeyId]: UPSTREAM_CREDS.secretAccessKey }) };
  const { child, info } = await startNode('upstream', CLIENT_CPU, [], [path.join(HERE, 'upstream.mjs')], env);
  return { child, port: info.port };
}

/**
 * The audit trail as a cluster sidecar has it: a spool, delivered to a real
 * nats-server (JetStream), pinned with the load generator. Without the
 * nats-server binary (`make e2e-build` builds it), or with BENCH_AUDIT=store,
 * events go into a SQLite store inside the sidecar's process instead (local mode).
 */
async function startAuditSink(dir) {
  if ((process.env.BENCH_AUDIT ?? 'nats') === 'store') return { args: ['--audit-store', path.join(dir, 'audit.db')], mode: 'local SQLite store' };
  let binary = process.env.AGENTRAIL_NATS_SERVER;
  if (binary === undefined) {
    try {
      binary = JSON.parse(execFileSync('bash', [path.join(ROOT, 'e2e/scripts/build-tools.sh'), '--paths'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))['nats-server'];
    } catch { /* not built */ }
  }
  if (binary === undefined) {
    log('nats-server is not built (make e2e-build): the sidecar writes its audit trail into a local SQLite store instead');
    return { args: ['--audit-store', path.join(dir, 'audit.db')], mode: 'local SQLite store (nats-server not built)' };
  }
  const port = await freePort();
  const monitor = await freePort();
  const cmd = PINNING ? 'taskset' : binary;
  const argv = [...(PINNING ? ['-c', String(CLIENT_CPU), binary] : []), '--addr=127.0.0.1', `--port=${port}`, '--http_port', String(monitor), '--jetstream', `--store_dir=${path.join(dir, 'nats')}`];
  const child = spawn(cmd, argv, { stdio: 'ignore' });
  natsChild = child;
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${monitor}/healthz?js-enabled-only=true`).then((r) => r.ok, () => false);
    if (ok) return { args: ['--nats', `nats://127.0.0.1:${port}`, '--spool-dir', path.join(dir, 'spool')], mode: 'spool + JetStream (nats-server on the load generator\'s CPU)' };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('nats-server did not become ready');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

let natsChild;

let auditSink;

async function startSidecar(upstreamPort, dir) {
  const audit = (auditSink ??= await startAuditSink(dir));
  const tokenFile = path.join(dir, `token-${randomBytes(4).toString('hex')}`);
  const env = {
    ...baseEnv(),
    AWS_ACCESS_KEY_ID: UPSTREAM_CREDS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: UPSTREAM_CREDS.secretAccessKey,
    AWS_REGION: REGION,
    AWS_CONFIG_FILE: path.join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AGENTRAIL_DRAIN_TIMEOUT_MS: '2000',
  };
  const { child, info } = await startNode('sidecar', SIDECAR_CPU, cfg.sidecarNodeArgs, [
    CLI, 'sidecar', '--upstream-endpoint', `http://127.0.0.1:${upstreamPort}`, '--listen-host', '127.0.0.1',
    '--explicit-port', '0', '--credentials-port', '0', '--ops-port', '0', '--token-file', tokenFile,
    '--initiator', 'bench', '--log-level', 'warn', ...audit.args,
  ], env, { stdoutFile: cfg.sidecarStdout });
  const token = readFileSync(tokenFile, 'utf8').trim();
  const res = await fetch(info.credentials, { headers: { authorization: token } });
  if (res.status !== 200) throw new Error(`credential endpoint answered ${res.status}: ${await res.text()}`);
  const c = await res.json();
  return {
    child, pid: child.pid, port: Number(new URL(info.explicit).port), opsUrl: info.ops,
    creds: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.Token },
  };
}

async function upstreamStats(port) {
  const res = await fetch(`http://127.0.0.1:${port}/__bench/stats`);
  return res.json();
}

// ---------------------------------------------------------------- load
function cpuSnapshot(pids) {
  const s = { t: performance.now(), self: process.cpuUsage(), cores: coreTimes() };
  for (const [name, pid] of Object.entries(pids)) s[name] = cpuSeconds(pid, TICKS);
  return s;
}

/** CPU use between two snapshots, as fractions of one CPU. */
function cpuBetween(a, b, pids) {
  const secs = (b.t - a.t) / 1000;
  const out = { loadgen: round(((b.self.user + b.self.system - a.self.user - a.self.system) / 1e6) / secs, 3) };
  for (const name of Object.keys(pids)) out[name] = round((b[name] - a[name]) / secs, 3);
  for (const [cpu, tb] of Object.entries(b.cores)) {
    const ta = a.cores[cpu];
    if (ta === undefined || tb.total === ta.total) continue;
    out[`cpu${cpu}Busy`] = round((tb.busy - ta.busy) / (tb.total - ta.total), 3);
    out[`cpu${cpu}Steal`] = round((tb.steal - ta.steal) / (tb.total - ta.total), 3);
  }
  return out;
}

/**
 * Open loop: calls are scheduled at a fixed rate (worker-thread pacer) and
 * every latency is taken from the call's scheduled time, so a stall delays
 * the measured calls instead of silently thinning the load (no coordinated omission).
 */
function openLoop(pool, reqs, rate, durationS, pids) {
  const count = Math.max(1, Math.round(rate * durationS));
  const intervalMs = 1000 / rate;
  const intended = new Float64Array(count);
  const sent = new Float64Array(count);
  const done = new Float64Array(count);
  const status = new Int16Array(count);
  const start = performance.now() + 50;
  let completed = 0;
  let cpuA;
  let cpuB;
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error(`open loop at ${rate}/s: ${count - completed} calls unanswered`)), (durationS + 30) * 1000);
    const finish = () => {
      clearTimeout(timeout);
      cpuB = cpuSnapshot(pids);
      const ok = [];
      const service = [];
      const lateness = [];
      let errors = 0;
      for (let i = 0; i < count; i++) {
        if (status[i] !== 200) { errors++; continue; }
        ok.push((done[i] - intended[i]) * 1000);
        service.push((done[i] - sent[i]) * 1000);
        lateness.push((sent[i] - intended[i]) * 1000);
      }
      const elapsed = (sent[count - 1] - sent[0]) / 1000;
      resolve({
        rate, calls: count, errors, achievedRate: round(count > 1 ? (count - 1) / elapsed : count, 1),
        latencyUs: summarise(ok), serviceUs: summarise(service), pacerLatenessUs: summarise(lateness),
        cpu: cpuBetween(cpuA, cpuB, pids),
      });
    };
    const worker = new Worker(new URL('./lib/pacer-worker.mjs', import.meta.url), {
      workerData: { start, intervalMs, count, mainOrigin: performance.timeOrigin },
    });
    worker.on('error', reject);
    cpuA = cpuSnapshot(pids);
    worker.on('message', (i) => {
      intended[i] = start + i * intervalMs;
      sent[i] = performance.now();
      pool.request(reqs[i % reqs.length], (err, st) => {
        done[i] = performance.now();
        status[i] = err === undefined ? st : -1;
        if (++completed === count) finish();
      });
    });
  });
}

/** Closed loop: `concurrency` callers, each sending its next call as soon as the last one is answered. */
function closedLoop(pool, reqs, concurrency, warmupS, durationS, pids) {
  return new Promise((resolve) => {
    let k = 0;
    let active = 0;
    let windowStart;
    let windowEnd;
    let cpuA;
    let cpuB;
    let completed = 0;
    let errors = 0;
    const lat = [];
    const fire = () => {
      const i = k++;
      const sent = performance.now();
      active++;
      pool.request(reqs[i % reqs.length], (err, st) => {
        active--;
        const now = performance.now();
        if (windowStart !== undefined && windowEnd === undefined) {
          if (err !== undefined || st !== 200) errors++;
          else { completed++; lat.push((now - sent) * 1000); }
        }
        if (windowEnd === undefined) fire();
        else if (active === 0) {
          resolve({
            concurrency, calls: completed, errors, callsPerS: round(completed / ((windowEnd - windowStart) / 1000), 0),
            latencyUs: summarise(lat), cpu: cpuBetween(cpuA, cpuB, pids),
          });
        }
      });
    };
    for (let c = 0; c < concurrency; c++) fire();
    setTimeout(() => { cpuA = cpuSnapshot(pids); windowStart = cpuA.t; }, warmupS * 1000);
    setTimeout(() => { cpuB = cpuSnapshot(pids); windowEnd = cpuB.t; }, (warmupS + durationS) * 1000);
  });
}

// ---------------------------------------------------------------- memory
function upload(port, u) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: '127.0.0.1', port, method: u.method, path: u.path, headers: u.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: body.slice(0, 500), ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    u.body.on('error', reject);
    u.body.pipe(req);
  });
}

async function memoryCase(upstreamPort, dir, mode) {
  const sc = await startSidecar(upstreamPort, dir);
  try {
    // Warm the data path (JSON calls and one small upload) so the figures are steady-state.
    const pool = new RawPool('127.0.0.1', sc.port, 8);
    const reqs = await presignJsonCalls({ port: sc.port, creds: sc.creds, count: 64 });
    const w = await closedLoop(pool, reqs, 4, 0.5, 0.5, {});
    pool.close();
    if (w.errors > 0) throw new Error(`warm-up of the sidecar for uploads failed: ${pool.errorBodies.join(' | ')}`);
    const warm = await upload(sc.port, await signedUpload({ port: sc.port, creds: sc.creds, size: 1024 * 1024, mode, key: 'warm' }));
    if (warm.status !== 200) throw new Error(`warm-up upload (${mode}) failed: ${warm.status} ${warm.body}`);
    await sleep(200);
    const sizes = [1, ...cfg.uploadMiB].map((mib) => Math.round(mib * 1024 * 1024));
    const results = [];
    let resettable = true;
    for (const size of sizes) {
      const before = memoryKiB(sc.pid);
      resettable = resetPeakRss(sc.pid) && resettable;
      const r = await upload(sc.port, await signedUpload({ port: sc.port, creds: sc.creds, size, mode }));
      const after = memoryKiB(sc.pid);
      if (r.status !== 200) throw new Error(`upload of ${size} bytes (${mode}) failed: ${r.status} ${r.body}`);
      results.push({
        bytes: size, ms: round(r.ms, 0), MiBps: round(size / 2 ** 20 / (r.ms / 1000), 0),
        rssBeforeMiB: round(before.rss / 1024), peakRssMiB: round(after.hwm / 1024), rssAfterMiB: round(after.rss / 1024),
      });
      await sleep(200);
    }
    return { mode, peakResetPerUpload: resettable, uploads: results };
  } finally {
    await stopChild(sc.child);
  }
}

// ---------------------------------------------------------------- report
const PATH_LABEL = { direct: 'direct', proxy: 'node proxy', sidecar: 'sidecar' };
const ms = (us) => (Number.isFinite(us) ? (us / 1000).toFixed(3) : 'n/a');
const int = (v) => (Number.isFinite(v) ? String(Math.round(v)) : 'n/a');
const frac = (v) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const fmtSpread = (s, f = ms) => (s === undefined ? '-' : `${f(s.median)} [${f(s.min)}–${f(s.max)}]`);

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r, i) => {
    const line = r.map((v, c) => String(v).padEnd(widths[c])).join('  ').trimEnd();
    return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

function report(result) {
  const out = [];
  const m = result.machine;
  const c = result.config;
  out.push(`AgentRail sidecar benchmark — ${result.startedAt} (commit ${m.commit ?? 'n/a'})`);
  out.push(`machine: ${m.nproc} CPUs, ${m.cpuModel}, Node ${m.node}; ${m.pinned ? 'sidecar / node proxy on CPU 0, load generator + upstream on CPU 1' : 'NOT pinned'}`);
  if (result.audit !== undefined) out.push(`audit trail: ${result.audit}`);
  out.push(`load average: ${m.loadAverageAtStart.join(' ')} at start, ${result.loadAverageAtEnd.join(' ')} at end`);
  out.push(`figures: median [min–max] over ${c.runs} runs; latency in ms from the scheduled send time`);
  if (result.latency) {
    out.push('', `Open-loop latency — 1 KB DynamoDB PutItem (1 KB answer), keep-alive, ${c.durationS} s per rate after ${c.warmupS} s warm-up`);
    const rows = [['rate/s', 'path', 'p50', 'p99', 'added p50', 'added p99', 'CPU µs/call']];
    for (const r of result.latency.summary) {
      for (const p of c.paths) {
        const x = r.paths[p];
        rows.push([r.rate, PATH_LABEL[p], fmtSpread(x.p50), fmtSpread(x.p99), fmtSpread(x.addedP50), fmtSpread(x.addedP99), fmtSpread(x.cpuUsPerCall, int)]);
      }
    }
    out.push(table(rows));
    out.push('added = path minus direct, paired per run; CPU µs/call = CPU time of the proxying process (sidecar or node proxy) per call');
  }
  if (result.throughput) {
    out.push('', `Closed-loop throughput — ${c.concurrency} concurrent callers, ${c.maxDurationS} s`);
    const rows = [['path', 'calls/s', 'proxy CPU (cores)', 'calls per proxy CPU-second', 'CPU 0 busy', 'CPU 1 busy']];
    for (const p of c.paths) {
      const x = result.throughput.summary[p];
      const bound = x.cpu1Busy.median >= 0.95 ? ' *' : '';
      rows.push([PATH_LABEL[p], fmtSpread(x.callsPerS, int) + bound, fmtSpread(x.proxyCpu, frac), fmtSpread(x.callsPerCpuSecond, int), fmtSpread(x.cpu0Busy, frac), fmtSpread(x.cpu1Busy, frac)]);
    }
    out.push(table(rows));
    out.push('* CPU 1 (load generator + upstream) saturated: a lower bound, the path itself could go faster');
  }
  if (result.memory) {
    out.push('', 'Streamed S3 PutObject through the sidecar — sidecar RSS in MiB (peak = VmHWM, reset before each upload)');
    const rows = [['payload', 'object', 'RSS before', 'peak RSS', 'time ms', 'MiB/s']];
    for (const mc of result.memory) {
      for (const u of mc.uploads) rows.push([mc.mode === 'unsigned' ? 'UNSIGNED-PAYLOAD' : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', `${Math.round(u.bytes / 2 ** 20)} MiB`, u.rssBeforeMiB, u.peakRssMiB, u.ms, u.MiBps]);
    }
    out.push(table(rows));
    if (result.memory.some((mc) => !mc.peakResetPerUpload)) out.push('peak RSS could not be reset (/proc/PID/clear_refs not writable): peaks are since the sidecar started');
  }
  out.push('', `upstream: ${result.upstream.verified} calls SigV4-verified, ${result.upstream.rejected} rejected; failed calls at the client: ${result.clientErrors}`);
  return out.join('\n');
}

// ---------------------------------------------------------------- main
async function startNullProxy(upstreamPort) {
  const { child, info } = await startNode('node proxy', SIDECAR_CPU, [], [path.join(HERE, 'null-proxy.mjs'), `http://127.0.0.1:${upstreamPort}`], baseEnv());
  return { child, port: info.port };
}

let scratchDir;

async function main() {
  const startedAt = new Date().toISOString();
  const mach = machine();
  pinSelf(CLIENT_CPU);
  log(`machine: ${mach.nproc} CPUs, ${mach.cpuModel}, ${mach.node}, load ${mach.loadAverageAtStart.join(' ')}${PINNING ? '' : ' (NOT pinned: taskset or a 2nd CPU missing)'}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentrail-bench-'));
  scratchDir = dir;
  const result = { startedAt, machine: mach, config: { ...cfg, out: path.relative(ROOT, cfg.out), only: [...cfg.only], presignedCalls: PRESIGNED, poolConnections: POOL_CONNECTIONS } };
  let clientErrors = 0;
  let upstream;
  let sidecar;
  let proxy;
  const pools = [];
  try {
    upstream = await startUpstream();
    if (cfg.only.has('latency') || cfg.only.has('throughput')) {
      sidecar = await startSidecar(upstream.port, dir);
      if (cfg.paths.includes('proxy')) proxy = await startNullProxy(upstream.port);
      const pids = { sidecar: sidecar.pid, upstream: upstream.child.pid, ...(proxy ? { proxy: proxy.child.pid } : {}) };
      const proxyCpu = (p, cpu) => (p === 'sidecar' ? cpu.sidecar : p === 'proxy' ? cpu.proxy : NaN);
      const targets = {
        direct: { port: upstream.port, creds: UPSTREAM_CREDS },
        sidecar: { port: sidecar.port, creds: sidecar.creds },
        ...(proxy ? { proxy: { port: proxy.port, creds: UPSTREAM_CREDS } } : {}),
      };
      for (const t of Object.values(targets)) { t.pool = new RawPool('127.0.0.1', t.port, POOL_CONNECTIONS); pools.push(t.pool); }
      const presign = (t) => presignJsonCalls({ port: t.port, creds: t.creds, count: PRESIGNED });

      log(`warm-up: 3 s closed loop on each path (${cfg.paths.join(', ')})`);
      for (const p of cfg.paths) {
        const r = await closedLoop(targets[p].pool, await presign(targets[p]), 8, 1, 2, pids);
        clientErrors += r.errors;
        if (r.errors > 0) throw new Error(`warm-up on the ${p} path failed: ${targets[p].pool.errorBodies.join(' | ')}`);
      }

      const latencyRuns = [];
      const throughputRuns = [];
      for (let run = 0; run < cfg.runs; run++) {
        // Rotate the order of the paths from run to run, so drift in the machine's load hits each alike.
        const order = cfg.paths.map((_, i) => cfg.paths[(i + run) % cfg.paths.length]);
        if (cfg.only.has('latency')) {
          for (const rate of cfg.rates) {
            const entry = { run, rate, loadAverage: loadAverage() };
            for (const p of order) {
              const reqs = await presign(targets[p]);
              await openLoop(targets[p].pool, reqs, rate, cfg.warmupS, pids);
              const r = await openLoop(targets[p].pool, reqs, rate, cfg.durationS, pids);
              clientErrors += r.errors;
              entry[p] = r;
              log(`run ${run + 1}/${cfg.runs} ${String(rate).padStart(5)}/s ${PATH_LABEL[p].padEnd(10)} p50 ${ms(r.latencyUs.p50)} ms  p99 ${ms(r.latencyUs.p99)} ms  max ${ms(r.latencyUs.max)} ms  errors ${r.errors}  proxy CPU ${frac(proxyCpu(p, r.cpu))}`);
            }
            latencyRuns.push(entry);
          }
        }
        if (cfg.only.has('throughput')) {
          const entry = { run, loadAverage: loadAverage() };
          for (const p of order) {
            const r = await closedLoop(targets[p].pool, await presign(targets[p]), cfg.concurrency, 1, cfg.maxDurationS, pids);
            clientErrors += r.errors;
            entry[p] = r;
            log(`run ${run + 1}/${cfg.runs} closed loop ${PATH_LABEL[p].padEnd(10)} ${r.callsPerS} calls/s  proxy CPU ${frac(proxyCpu(p, r.cpu))}  CPU0 ${frac(r.cpu.cpu0Busy)} CPU1 ${frac(r.cpu.cpu1Busy)}  errors ${r.errors}`);
          }
          throughputRuns.push(entry);
        }
      }
      if (latencyRuns.length > 0) {
        const summary = cfg.rates.map((rate) => {
          const runs = latencyRuns.filter((e) => e.rate === rate);
          const paths = {};
          for (const p of cfg.paths) {
            paths[p] = {
              p50: spread(runs.map((e) => e[p].latencyUs.p50)),
              p99: spread(runs.map((e) => e[p].latencyUs.p99)),
              // Paired per run: both paths measured minutes apart at most, in rotating order.
              addedP50: p === 'direct' ? undefined : spread(runs.map((e) => e[p].latencyUs.p50 - e.direct.latencyUs.p50)),
              addedP99: p === 'direct' ? undefined : spread(runs.map((e) => e[p].latencyUs.p99 - e.direct.latencyUs.p99)),
              cpuUsPerCall: p === 'direct' ? undefined : spread(runs.map((e) => (proxyCpu(p, e[p].cpu) * 1e6) / e[p].achievedRate)),
            };
          }
          return { rate, paths };
        });
        result.latency = { summary, runs: latencyRuns };
      }
      if (throughputRuns.length > 0) {
        const summary = {};
        for (const p of cfg.paths) {
          const col = (f) => spread(throughputRuns.map((e) => f(e[p])));
          summary[p] = {
            callsPerS: col((r) => r.callsPerS),
            proxyCpu: p === 'direct' ? undefined : col((r) => proxyCpu(p, r.cpu)),
            callsPerCpuSecond: p === 'direct' ? undefined : col((r) => r.callsPerS / proxyCpu(p, r.cpu)),
            cpu0Busy: col((r) => r.cpu.cpu0Busy),
            cpu1Busy: col((r) => r.cpu.cpu1Busy),
          };
        }
        result.throughput = { summary, runs: throughputRuns };
      }
      for (const pl of pools) pl.close();
      if (proxy !== undefined) await stopChild(proxy.child);
      await stopChild(sidecar.child);
    }
    if (cfg.only.has('memory')) {
      result.memory = [];
      for (const mode of ['unsigned', 'streaming']) {
        log(`memory: ${mode} uploads of 1, ${cfg.uploadMiB.join(', ')} MiB, fresh sidecar`);
        const r = await memoryCase(upstream.port, dir, mode);
        for (const u of r.uploads) log(`  ${String(Math.round(u.bytes / 2 ** 20)).padStart(5)} MiB: RSS ${u.rssBeforeMiB} → peak ${u.peakRssMiB} MiB, ${u.ms} ms (${u.MiBps} MiB/s)`);
        result.memory.push(r);
      }
    }
    result.upstream = await upstreamStats(upstream.port);
  } finally {
    for (const pl of pools) pl.close();
    for (const child of [proxy?.child, sidecar?.child, upstream?.child]) if (child !== undefined) await stopChild(child);
    natsChild?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  result.audit = auditSink?.mode;
  result.clientErrors = clientErrors;
  result.loadAverageAtEnd = loadAverage();
  result.finishedAt = new Date().toISOString();
  mkdirSync(path.dirname(cfg.out), { recursive: true });
  writeFileSync(cfg.out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${report(result)}\n\nresults: ${path.relative(process.cwd(), cfg.out)}\n`);
  if (clientErrors > 0 || result.upstream.rejected > 0) {
    process.stderr.write(`bench: ${clientErrors} failed calls, ${result.upstream.rejected} rejected by the upstream: ${result.upstream.errors.join(' | ')}\n`);
    process.exitCode = 1;
  }
}

// Abnormal ends: kill what was started, remove the scratch directory (it holds a token file).
const cleanupSync = () => {
  killAllChildrenSync();
  natsChild?.kill('SIGKILL');
  if (scratchDir !== undefined) rmSync(scratchDir, { recursive: true, force: true });
};
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => { cleanupSync(); process.exit(130); });
process.once('exit', cleanupSync);
main().catch((err) => {
  process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
  cleanupSync();
  process.exit(1);
});
