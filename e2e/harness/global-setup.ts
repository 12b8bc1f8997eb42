/**
 * Jest global setup of the e2e project: starts a fresh test cluster for the run
 * (or reuses the one `make e2e-up` keeps, when AGENTRAIL_E2E_CLUSTER names it)
 * and publishes its connection file through AGENTRAIL_E2E_CLUSTER, which the
 * test workers inherit.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiServerReady, CLUSTER_ENV, type ClusterInfo } from './cluster.js';
import { startWatchdog } from './processes.js';
import { startCluster } from './start.js';

/** Read by the global teardown (same process): the run this setup owns. */
export const OWNED_RUN_KEY = '__agentrailE2eRunDir';

export default async function globalSetup(): Promise<void> {
  const existing = process.env[CLUSTER_ENV];
  if (existing) {
    await checkReachable(existing);
    return;
  }
  const runDir = mkdtempSync(join(tmpdir(), 'agentrail-e2e-'));
  const keep = process.env.AGENTRAIL_E2E_KEEP === '1';
  // Stops the cluster even if jest is killed before its teardown runs.
  startWatchdog(runDir, process.pid, !keep);
  const started = Date.now();
  try {
    await startCluster(runDir);
  } catch (err) {
    if (!keep) rmSync(runDir, { recursive: true, force: true });
    throw err;
  }
  console.log(`\ne2e: test cluster up in ${((Date.now() - started) / 1000).toFixed(1)}s (${runDir})`);
  process.env[CLUSTER_ENV] = join(runDir, 'cluster.json');
  (globalThis as Record<string, unknown>)[OWNED_RUN_KEY] = runDir;
}

/** A cluster reused from `make e2e-up` must still be up, or every test fails obscurely. */
async function checkReachable(file: string): Promise<void> {
  const info = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ClusterInfo) : undefined;
  if (!info || !(await apiServerReady(info))) {
    throw new Error(`${CLUSTER_ENV}=${file} names no running cluster: run 'make e2e-up', or unset ${CLUSTER_ENV} to start one per run`);
  }
}
