// `make demo`: the whole story on one machine — no cluster, no AWS account.
// moto (IAM auth on) plays AWS; a primary agent (boto3) runs under
// `agentrail run`, starts a secondary agent, which starts a third (the AWS
// CLI). Every call goes through the embedded sidecar, is decided by the
// GatewayPolicy in demo/policies.yaml (allowed, denied, approval required,
// masked) and lands in a local audit store; then the trail is shown: sessions,
// the nested tree, searches, and a check that every chain is intact and the
// secret never reached the store.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const AGENTRAIL = path.join(HERE, '..', 'bin', 'agentrail');
const PYTHON = process.env.PYTHON ?? 'python3';

const work = mkdtempSync(path.join(tmpdir(), 'agentrail-demo-'));
const store = path.join(work, 'audit.db');
const secret = `s3cr3t-${randomBytes(12).toString('hex')}`;

function banner(text) {
  process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
}

function startMoto() {
  const child = spawn(PYTHON, [path.join(HERE, 'moto_server.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`moto exited early (code ${code}); is moto installed? (make demo installs it)`)));
    createInterface({ input: child.stdout }).once('line', (line) => resolve({ child, ...JSON.parse(line) }));
  });
}

function agentrail(args, opts = {}) {
  const r = spawnSync(AGENTRAIL, args, { stdio: opts.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8', env: { ...process.env, AGENTRAIL_STORE: store } });
  if (r.status !== 0 && !opts.allowFailure) throw new Error(`agentrail ${args.join(' ')} exited ${r.status}`);
  return r;
}

banner('starting moto (IAM auth on) as the AWS endpoint');
const moto = await startMoto();
process.stdout.write(`moto at ${moto.endpoint}; the gateway holds the key ${moto.accessKeyId}, the agents never see it\n`);
try {
  banner('agentrail run --agent planner --policy demo/policies.yaml -- python3 demo/agents/planner.py');
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: moto.accessKeyId,
    AWS_SECRET_ACCESS_KEY: moto.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AGENTRAIL_STORE: store,
    AGENTRAIL: AGENTRAIL,
    DEMO_SECRET: secret,
  };
  const run = spawnSync(AGENTRAIL, ['run', '--agent', 'planner', '--policy', path.join(HERE, 'policies.yaml'), '--upstream-endpoint', moto.endpoint, '--', PYTHON, path.join(HERE, 'agents', 'planner.py')], { stdio: 'inherit', env });
  if (run.status !== 0) throw new Error(`the agents failed (exit ${run.status})`);

  banner('agentrail sessions');
  agentrail(['sessions']);
  // --json prints one session per line.
  const root = JSON.parse(agentrail(['sessions', '--roots', '--json'], { capture: true }).stdout.split('\n')[0]).id;

  banner(`agentrail show ${root}`);
  agentrail(['show', root]);

  banner("agentrail search --operation secretsmanager:GetSecretValue --json  (the secret is masked)");
  agentrail(['search', '--operation', 'secretsmanager:GetSecretValue', '--json']);

  banner('agentrail search --decision Deny');
  agentrail(['search', '--decision', 'Deny']);

  banner('agentrail search approval  (free text)');
  agentrail(['search', 'approval']);

  banner('agentrail verify');
  agentrail(['verify']);

  banner('is the secret anywhere in the trail?');
  // The store compresses events: look at every decoded event (an export), and at the raw files too.
  const exported = agentrail(['export', '--format', 'jsonl'], { capture: true }).stdout;
  const raw = readdirSync(work).filter((f) => f.startsWith('audit.db')).map((f) => readFileSync(path.join(work, f)));
  const leaked = exported.includes(secret) || raw.some((b) => b.includes(secret));
  process.stdout.write(leaked ? `LEAK: ${secret} found in the trail\n` : `no: "${secret.slice(0, 9)}…" appears in none of the ${exported.trim().split('\n').length} events, nor in ${store}*\n`);
  if (leaked) process.exitCode = 1;

  banner('try it yourself');
  process.stdout.write(`export AGENTRAIL_STORE=${store}\nbin/agentrail sessions\nbin/agentrail search --agent s3-cleanup\nbin/agentrail export --format ocsf | head -c 600\n`);
} finally {
  moto.child.stdin.end();
}
