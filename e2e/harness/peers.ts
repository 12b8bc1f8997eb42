/**
 * How each process of the test control plane is started: its flags and its
 * readiness check. `start.ts` decides the order.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { IAMClient, CreateUserCommand, PutUserPolicyCommand, CreateAccessKeyCommand } from '@aws-sdk/client-iam';
import { stringify } from 'yaml';
import { REPO_ROOT, startProcess, waitFor, waitForPort, type ManagedProcess } from './processes.js';
import { FRONT_PROXY_CLIENT, type RunPki } from './run-pki.js';

export const START_TIMEOUT_MS = 120_000;
export const OIDC_AUDIENCE = 'agentrail-e2e';
export const MOTO_REGION = 'us-east-1';
// The moto bootstrap below makes exactly this many IAM calls before auth turns on.
const MOTO_BOOTSTRAP_CALLS = 3;
const SERVICE_CIDR = '10.0.0.0/24';

export async function startEtcd(runDir: string, binary: string, pki: RunPki, port: number, peerPort: number): Promise<ManagedProcess> {
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const etcd = startProcess(runDir, 'etcd', binary, [
    '--name=agentrail-e2e',
    // etcd creates its data dir itself and insists on mode 0700.
    `--data-dir=${join(runDir, 'etcd')}`,
    `--listen-client-urls=https://127.0.0.1:${port}`,
    `--advertise-client-urls=https://127.0.0.1:${port}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=agentrail-e2e=${peerUrl}`,
    `--cert-file=${pki.etcdServing.certFile}`,
    `--key-file=${pki.etcdServing.keyFile}`,
    '--client-cert-auth',
    `--trusted-ca-file=${pki.etcdCa.certFile}`,
    // A throwaway store: fsync only slows the tests (envtest does the same).
    '--unsafe-no-fsync',
    '--log-level=warn',
  ]);
  await waitForPort(etcd, port, START_TIMEOUT_MS);
  return etcd;
}

export async function startNatsServer(runDir: string, binary: string, port: number, monitorPort: number): Promise<ManagedProcess> {
  const nats = startProcess(runDir, 'nats-server', binary, [
    '--addr=127.0.0.1', `--port=${port}`,
    '--http_port', String(monitorPort),
    '--jetstream', `--store_dir=${join(runDir, 'nats')}`,
    '--server_name=agentrail-e2e',
  ]);
  await waitForHttp(nats, `http://127.0.0.1:${monitorPort}/healthz?js-enabled-only=true`);
  return nats;
}

export interface MotoAccess {
  accessKeyId: string;
  secretAccessKey: string;
  userName: string;
}

/**
 * Starts moto with IAM auth and uses its unauthenticated start-up window to
 * create an IAM user with an admin policy and an access key; from then on moto
 * checks every request's signature and permissions.
 */
export async function startMoto(runDir: string, python: string, port: number): Promise<MotoAccess> {
  const moto = startProcess(runDir, 'moto', python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    env: { INITIAL_NO_AUTH_ACTION_COUNT: String(MOTO_BOOTSTRAP_CALLS), MOTO_PORT: String(port) },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  // /moto-api/ is not an AWS action: polling it does not use up the window.
  await waitForHttp(moto, `${endpoint}/moto-api/`);
  const iam = new IAMClient({ endpoint, region: MOTO_REGION, credentials: { accessKeyId: 'bootstrap', secretAccessKey: 'bootstrap' }, maxAttempts: 1 });
  try {
    const userName = 'agentrail-e2e';
    await iam.send(new CreateUserCommand({ UserName: userName }));
    await iam.send(new PutUserPolicyCommand({
      UserName: userName,
      PolicyName: 'admin',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
    }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    if (!AccessKey?.AccessKeyId || !AccessKey.SecretAccessKey) throw new Error('moto returned no access key');
    return { accessKeyId: AccessKey.AccessKeyId, secretAccessKey: AccessKey.SecretAccessKey, userName };
  } finally {
    iam.destroy();
  }
}

export async function startOidcIssuer(runDir: string, pki: RunPki, port: number): Promise<string> {
  const issuer = `https://127.0.0.1:${port}`;
  const oidc = startProcess(runDir, 'oidc-issuer', process.execPath, [
    join(REPO_ROOT, 'e2e/harness/oidc-issuer.ts'), String(port), pki.oidcServing.certFile, pki.oidcServing.keyFile, issuer, pki.oidcJwksFile,
  ]);
  const ca = readFileSync(pki.testCa.certFile);
  await waitFor(oidc, 'OIDC discovery', START_TIMEOUT_MS, () => new Promise<boolean>((resolve) => {
    const req = httpsRequest(`${issuer}/.well-known/openid-configuration`, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  }));
  return issuer;
}

export interface ApiServerOptions {
  port: number;
  etcdPort: number;
  oidcIssuer: string;
}

/** Starts kube-apiserver; the caller waits for /readyz with its admin client. */
export function startKubeApiServer(runDir: string, binary: string, pki: RunPki, opts: ApiServerOptions): ManagedProcess {
  // Structured authentication configuration (GA since 1.34): the way clusters
  // trust an external OIDC identity provider today. No prefixes, so user `alice`
  // in group `research` is just that in RBAC and in admission requests.
  const authnConfig = join(pki.dir, 'authentication-config.yaml');
  writeFileSync(authnConfig, stringify({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'AuthenticationConfiguration',
    jwt: [{
      issuer: { url: opts.oidcIssuer, audiences: [OIDC_AUDIENCE], certificateAuthority: readFileSync(pki.testCa.certFile, 'utf8') },
      claimMappings: { username: { claim: 'sub', prefix: '' }, groups: { claim: 'groups', prefix: '' } },
    }],
  }));
  return startProcess(runDir, 'kube-apiserver', binary, [
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${opts.port}`,
    `--tls-cert-file=${pki.apiServing.certFile}`,
    `--tls-private-key-file=${pki.apiServing.keyFile}`,
    `--client-ca-file=${pki.ca.certFile}`,
    `--etcd-servers=https://127.0.0.1:${opts.etcdPort}`,
    `--etcd-cafile=${pki.etcdCa.certFile}`,
    `--etcd-certfile=${pki.etcdClient.certFile}`,
    `--etcd-keyfile=${pki.etcdClient.keyFile}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    `--service-account-issuer=https://127.0.0.1:${opts.port}`,
    `--service-account-key-file=${pki.serviceAccountKey.publicKeyFile}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey.privateKeyFile}`,
    `--authentication-config=${authnConfig}`,
    '--authorization-mode=RBAC',
    // No kube-controller-manager runs to create `default` service accounts; the
    // tests create the ones they use (envtest disables this plugin as well).
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
    // Aggregation layer: the aggregator authenticates to extension servers with
    // this client cert and passes the user in X-Remote-* headers.
    `--requestheader-client-ca-file=${pki.frontProxyCa.certFile}`,
    `--requestheader-allowed-names=${FRONT_PROXY_CLIENT}`,
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-uid-headers=X-Remote-Uid',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${pki.frontProxyClient.certFile}`,
    `--proxy-client-key-file=${pki.frontProxyClient.keyFile}`,
    // Route to a Service's ClusterIP or ExternalName, not to its endpoints: an
    // ExternalName `localhost` Service then reaches an extension server on loopback.
    '--enable-aggregator-routing=false',
    // Nothing listens behind the `kubernetes` Service in this cluster.
    '--endpoint-reconciler-type=none',
    '--v=1',
  ], { layer: 2 });
}

async function waitForHttp(proc: ManagedProcess, url: string): Promise<void> {
  await waitFor(proc, url, START_TIMEOUT_MS, async () => (await fetch(url)).ok);
}
