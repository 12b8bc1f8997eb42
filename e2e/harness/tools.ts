/**
 * Where the harness finds its binaries: the Go-built peers come from the cache
 * that `make e2e-build` fills (e2e/scripts/build-tools.sh is the one place that
 * knows versions and paths); kubectl and Python are the machine's.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './processes.js';

export interface Tools {
  'kube-apiserver': string;
  etcd: string;
  helm: string;
  'nats-server': string;
  kubectl: string;
  python: string;
}

export function resolveTools(): Tools {
  let built: Record<string, string>;
  try {
    built = JSON.parse(execFileSync('bash', [join(REPO_ROOT, 'e2e/scripts/build-tools.sh'), '--paths'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`e2e binaries are not built: ${stderr.trim() || String(err)} (run 'make e2e-build')`, { cause: err });
  }
  return {
    'kube-apiserver': need(built, 'kube-apiserver'),
    etcd: need(built, 'etcd'),
    helm: need(built, 'helm'),
    'nats-server': need(built, 'nats-server'),
    kubectl: process.env.KUBECTL ?? '/usr/bin/kubectl',
    python: process.env.PYTHON ?? 'python3',
  };
}

function need(map: Record<string, string>, name: string): string {
  const path = map[name];
  if (!path) throw new Error(`build-tools.sh --paths did not name ${name}`);
  return path;
}
