/**
 * `make e2e-up` / `make e2e-down`: a test cluster that stays up between test
 * runs, in `.cache/e2e/cluster/` of the checkout.
 *
 *   node --import ./e2e/harness/ts-resolve.mjs e2e/harness/cli.ts up|down|env
 *
 * `up` is idempotent (a healthy cluster is reused) and ends with the lines
 *   export AGENTRAIL_E2E_CLUSTER=<run>/cluster.json
 *   export KUBECONFIG=<run>/kubeconfig
 * so `eval "$(make -s e2e-up)"` points both kubectl and the e2e tests at it.
 */
import { existsSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { apiServerReady, type ClusterInfo } from './cluster.js';
import { REPO_ROOT, stopRun } from './processes.js';
import { startCluster } from './start.js';

const RUN_DIR = process.env.AGENTRAIL_E2E_RUN_DIR ?? join(REPO_ROOT, '.cache/e2e/cluster');
const CLUSTER_FILE = join(RUN_DIR, 'cluster.json');

async function healthy(): Promise<ClusterInfo | undefined> {
  if (!existsSync(CLUSTER_FILE)) return undefined;
  const info = JSON.parse(readFileSync(CLUSTER_FILE, 'utf8')) as ClusterInfo;
  return (await apiServerReady(info)) ? info : undefined;
}

function printEnv(info: ClusterInfo): void {
  const users = Object.entries(info.users).map(([u, { groups, kubeconfig }]) => `#   ${u} (${groups.join(', ')}): ${kubeconfig}`);
  console.log([
    `# kube-apiserver ${info.apiServer.version} at ${info.apiServer.url}`,
    `# nats ${info.nats.url}   moto ${info.moto.endpoint} (key ${info.moto.accessKeyId})`,
    '# OIDC users:',
    ...users,
    `export AGENTRAIL_E2E_CLUSTER=${CLUSTER_FILE}`,
    `export KUBECONFIG=${info.admin.kubeconfig}`,
  ].join('\n'));
}

async function up(): Promise<void> {
  const running = await healthy();
  if (running) {
    printEnv(running);
    return;
  }
  // Leftovers of a cluster that died or was half started.
  stopRun(RUN_DIR);
  rmSync(RUN_DIR, { recursive: true, force: true });
  mkdirSync(RUN_DIR, { recursive: true });
  const started = Date.now();
  const info = await startCluster(RUN_DIR);
  console.error(`e2e cluster up in ${((Date.now() - started) / 1000).toFixed(1)}s (logs: ${join(RUN_DIR, 'logs')})`);
  printEnv(info);
}

function down(): void {
  stopRun(RUN_DIR);
  rmSync(RUN_DIR, { recursive: true, force: true });
  console.error('e2e cluster down');
}

async function main(command: string | undefined): Promise<void> {
  if (command === 'up') {
    await up();
  } else if (command === 'down') {
    down();
  } else if (command === 'env') {
    const info = await healthy();
    if (!info) throw new Error('no e2e cluster is running (make e2e-up)');
    printEnv(info);
  } else {
    console.error('usage: cli.ts up|down|env');
    process.exit(2);
  }
}

try {
  await main(process.argv[2]);
} catch (err) {
  // The message carries the failing process's log tail; a stack adds nothing.
  console.error(`e2e: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
