/**
 * Jest global teardown of the e2e project: runs after the last test whatever the
 * results, stops every process of the cluster the setup started and removes its
 * run directory (kept, with logs, when AGENTRAIL_E2E_KEEP=1). A cluster reused
 * from `make e2e-up` is left running.
 */
import { rmSync } from 'node:fs';
import { CLUSTER_ENV } from './cluster.js';
import { OWNED_RUN_KEY } from './global-setup.js';
import { stopRun } from './processes.js';

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as Record<string, unknown>;
  const runDir = g[OWNED_RUN_KEY];
  if (typeof runDir !== 'string') return;
  stopRun(runDir);
  if (process.env.AGENTRAIL_E2E_KEEP === '1') {
    console.log(`e2e: run directory kept: ${runDir}`);
  } else {
    rmSync(runDir, { recursive: true, force: true });
  }
  delete process.env[CLUSTER_ENV];
  delete g[OWNED_RUN_KEY];
}
