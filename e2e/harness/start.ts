/**
 * Starts the test control plane in a run directory: etcd, kube-apiserver (OIDC
 * users, aggregation layer), nats-server with JetStream, moto with IAM auth and
 * the OIDC issuer, each on a free loopback port with PKI made for this run.
 * Writes kubeconfigs and `<run>/cluster.json` (see {@link ClusterInfo}). On any
 * failure everything started so far is stopped.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, kubeconfigYaml, type ClusterInfo } from './cluster.js';
import type { KubeClient } from './kube-client.js';
import { MOTO_REGION, OIDC_AUDIENCE, START_TIMEOUT_MS, startEtcd, startKubeApiServer, startMoto, startNatsServer, startOidcIssuer } from './peers.js';
import { freePorts, REPO_ROOT, stopRun, waitFor } from './processes.js';
import { ADMIN_USER, createRunPki, FRONT_PROXY_CLIENT, TEST_CA_NAME } from './run-pki.js';
import { resolveTools } from './tools.js';

/** The predefined OIDC users and their groups (tests can mint any others). */
export const USERS: Record<string, string[]> = { alice: ['research'], bob: ['sre'] };

export async function startCluster(runDir: string): Promise<ClusterInfo> {
  try {
    return await start(runDir);
  } catch (err) {
    stopRun(runDir);
    throw err;
  }
}

async function start(runDir: string): Promise<ClusterInfo> {
  const tools = resolveTools();
  for (const d of ['logs', 'pids', 'pki', 'nats']) mkdirSync(join(runDir, d), { recursive: true });
  const [apiPort, etcdPort, etcdPeerPort, natsPort, natsMonitorPort, motoPort, oidcPort] = (await freePorts(7)) as [
    number, number, number, number, number, number, number,
  ];
  const pki = createRunPki(join(runDir, 'pki'));

  // The apiserver needs etcd and the OIDC issuer; nats-server and moto need
  // nothing, so they come up while the apiserver does.
  const [, oidcIssuer] = await Promise.all([
    startEtcd(runDir, tools.etcd, pki, etcdPort, etcdPeerPort),
    startOidcIssuer(runDir, pki, oidcPort),
  ]);
  const apiserver = startKubeApiServer(runDir, tools['kube-apiserver'], pki, { port: apiPort, etcdPort, oidcIssuer });
  const [motoAccess] = await Promise.all([
    startMoto(runDir, tools.python, motoPort),
    startNatsServer(runDir, tools['nats-server'], natsPort, natsMonitorPort),
  ]);

  const apiUrl = `https://127.0.0.1:${apiPort}`;
  const info: ClusterInfo = {
    runDir,
    apiServer: { url: apiUrl, caFile: pki.ca.certFile, version: '' },
    admin: { kubeconfig: join(runDir, 'kubeconfig'), ...pki.admin },
    users: {},
    oidc: { issuer: oidcIssuer, audience: OIDC_AUDIENCE, signingKeyFile: pki.oidcKey.privateKeyFile, kid: pki.oidcKey.kid, alg: 'ES256' },
    serviceAccountIssuer: apiUrl,
    testCa: { dir: pki.dir, name: TEST_CA_NAME, certFile: pki.testCa.certFile },
    frontProxy: { caFile: pki.frontProxyCa.certFile, allowedNames: [FRONT_PROXY_CLIENT] },
    nats: { url: `nats://127.0.0.1:${natsPort}`, monitorUrl: `http://127.0.0.1:${natsMonitorPort}` },
    moto: { endpoint: `http://127.0.0.1:${motoPort}`, region: MOTO_REGION, ...motoAccess },
    tools: { kubectl: tools.kubectl, helm: tools.helm, 'kube-apiserver': tools['kube-apiserver'], etcd: tools.etcd, 'nats-server': tools['nats-server'] },
  };

  const cluster = new Cluster(info);
  const admin = cluster.admin();
  try {
    await waitFor(apiserver, '/readyz', START_TIMEOUT_MS, async () =>
      (await admin.request('GET', '/readyz', undefined, { allowError: true })).status === 200);
    info.apiServer.version = (await admin.get<{ gitVersion: string }>('/version')).gitVersion;
    await grantTestUsers(admin);
    // The JWT authenticator fetches the issuer's keys in the background after
    // start-up; until then OIDC tokens are refused.
    await waitFor(apiserver, 'OIDC authentication', START_TIMEOUT_MS, async () => (await whoami(cluster, 'alice')) === 'alice');
  } finally {
    cluster.close();
  }

  writeKubeconfigs(info);
  writeFileSync(join(runDir, 'cluster.json'), JSON.stringify(info, null, 2) + '\n');
  return info;
}

async function whoami(cluster: Cluster, user: string): Promise<string | undefined> {
  const client = await cluster.client({ user, groups: USERS[user] ?? [] });
  try {
    const res = await client.request<{ status?: { userInfo?: { username?: string } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { allowError: true });
    return res.body?.status?.userInfo?.username;
  } finally {
    client.close();
  }
}

function writeKubeconfigs(info: ClusterInfo): void {
  writeFileSync(info.admin.kubeconfig, kubeconfigYaml(info, ADMIN_USER, info.admin), { mode: 0o600 });
  const clusterFile = join(info.runDir, 'cluster.json');
  for (const [user, groups] of Object.entries(USERS)) {
    const kubeconfig = join(info.runDir, `kubeconfig-${user}`);
    const exec = {
      command: process.execPath,
      args: ['--import', join(REPO_ROOT, 'e2e/harness/ts-resolve.mjs'), join(REPO_ROOT, 'e2e/harness/mint-token.ts'), clusterFile, user, ...groups],
    };
    writeFileSync(kubeconfig, kubeconfigYaml(info, user, { exec }), { mode: 0o600 });
    info.users[user] = { groups, kubeconfig };
  }
}

/**
 * What the test users may do: anything with workloads and AgentRail objects in
 * any namespace, nothing with RBAC, CRDs, webhooks or APIServices — the split
 * between a tenant and a cluster admin that the webhook tests rely on.
 * (No kube-controller-manager runs, so the aggregated `edit` role stays empty.)
 */
async function grantTestUsers(admin: KubeClient): Promise<void> {
  await admin.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'agentrail-e2e:tenant' },
    rules: [{ apiGroups: ['', 'apps', 'batch', 'agentrail.dev', 'audit.agentrail.dev', 'e2e.agentrail.dev'], resources: ['*'], verbs: ['*'] }],
  });
  await admin.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'agentrail-e2e:tenants' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'agentrail-e2e:tenant' },
    subjects: [...new Set(Object.values(USERS).flat())].map((g) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: g })),
  });
}
