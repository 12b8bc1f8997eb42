/**
 * What e2e tests import to use the running test cluster: connection details,
 * OIDC tokens for any user and groups, Kubernetes clients, kubectl, and serving
 * certificates that the apiserver trusts for webhooks and aggregated APIs.
 *
 * The cluster is described by a JSON file (see {@link ClusterInfo}) whose path is
 * in `AGENTRAIL_E2E_CLUSTER`; the jest global setup sets it, and so does
 * `eval "$(make -s e2e-up)"` for a cluster kept running between test runs.
 *
 * @example
 * const cluster = loadCluster();
 * const alice = await cluster.client({ user: 'alice', groups: ['research'] });
 * await alice.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'demo' } });
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { importPKCS8, SignJWT } from 'jose';
import { stringify } from 'yaml';
import { KubeClient } from './kube-client.js';
import { CertificateAuthority, type CertFiles } from './pki.js';

export const CLUSTER_ENV = 'AGENTRAIL_E2E_CLUSTER';

/** The connection file the harness writes (`<run>/cluster.json`). */
export interface ClusterInfo {
  runDir: string;
  apiServer: { url: string; caFile: string; version: string };
  /** Admin: client certificate in group system:masters. */
  admin: { kubeconfig: string; certFile: string; keyFile: string };
  /** Kubeconfigs of the predefined OIDC users (an exec plugin mints their tokens). */
  users: Record<string, { groups: string[]; kubeconfig: string }>;
  oidc: { issuer: string; audience: string; signingKeyFile: string; kid: string; alg: 'ES256' };
  serviceAccountIssuer: string;
  /** Signs serving certificates for the tests' own servers (webhooks, aggregated APIs). */
  testCa: { dir: string; name: string; certFile: string };
  /** The CA of the aggregator's client certificate (`--requestheader-client-ca-file`). */
  frontProxy: { caFile: string; allowedNames: string[] };
  nats: { url: string; monitorUrl: string };
  moto: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; userName: string };
  tools: { kubectl: string; helm: string; 'kube-apiserver': string; etcd: string; 'nats-server': string };
}

/** An OIDC identity for {@link Cluster.mintToken}. */
export interface OidcUser {
  user: string;
  groups?: string[];
  /** Lifetime; default one hour. */
  ttlSeconds?: number;
  /** Extra claims, e.g. to test claim validation rules. */
  claims?: Record<string, unknown>;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Cluster {
  readonly info: ClusterInfo;
  private signingKey: ReturnType<typeof importPKCS8> | undefined;
  private adminClient: KubeClient | undefined;

  constructor(info: ClusterInfo) {
    this.info = info;
  }

  /** A JWT from the cluster's OIDC issuer, as an identity provider would issue it. */
  async mintToken(u: OidcUser): Promise<string> {
    const { oidc } = this.info;
    this.signingKey ??= importPKCS8(readFileSync(oidc.signingKeyFile, 'utf8'), oidc.alg);
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ groups: u.groups ?? [], ...u.claims })
      .setProtectedHeader({ alg: oidc.alg, kid: oidc.kid, typ: 'JWT' })
      .setIssuer(oidc.issuer)
      .setAudience(oidc.audience)
      .setSubject(u.user)
      .setIssuedAt(now)
      .setExpirationTime(now + (u.ttlSeconds ?? 3600))
      .sign(await this.signingKey);
  }

  /** The admin client (shared; closed by {@link Cluster.close}). */
  admin(): KubeClient {
    this.adminClient ??= new KubeClient({
      server: this.info.apiServer.url,
      caFile: this.info.apiServer.caFile,
      certFile: this.info.admin.certFile,
      keyFile: this.info.admin.keyFile,
    });
    return this.adminClient;
  }

  /** A client for an OIDC user, or for any bearer token (e.g. a service account's). */
  async client(who: OidcUser | { token: string }): Promise<KubeClient> {
    const token = 'token' in who ? who.token : await this.mintToken(who);
    return new KubeClient({ server: this.info.apiServer.url, caFile: this.info.apiServer.caFile, token });
  }

  /**
   * Runs `/usr/bin/kubectl` as the admin, as a predefined user (`'alice'`), or as
   * any OIDC user (a kubeconfig with a minted token is written for the call).
   */
  async kubectl(args: string[], opts: { as?: string | OidcUser; input?: string } = {}): Promise<KubectlResult> {
    let kubeconfig = this.info.admin.kubeconfig;
    if (typeof opts.as === 'string') {
      const user = this.info.users[opts.as];
      if (!user) throw new Error(`no predefined user ${opts.as}; pass {user, groups}`);
      kubeconfig = user.kubeconfig;
    } else if (opts.as) {
      kubeconfig = await this.writeTokenKubeconfig(opts.as);
    }
    return new Promise((resolve) => {
      const child = execFile(this.info.tools.kubectl, args, { env: { ...process.env, KUBECONFIG: kubeconfig }, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      child.stdin?.end(opts.input ?? '');
    });
  }

  /** Writes a kubeconfig holding a freshly minted token for `u`; returns its path. */
  async writeTokenKubeconfig(u: OidcUser): Promise<string> {
    const dir = join(this.info.runDir, 'kubeconfigs');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${u.user.replace(/[^a-zA-Z0-9_.-]/g, '_')}-${process.pid}-${Date.now()}.yaml`);
    writeFileSync(path, kubeconfigYaml(this.info, u.user, { token: await this.mintToken(u) }), { mode: 0o600 });
    return path;
  }

  /**
   * A serving certificate from the test CA for a server the apiserver will call.
   * `caBundle` is what goes into a webhook's or APIService's `caBundle`.
   */
  issueServingCert(name: string, hosts: string[]): CertFiles & { caBundle: string } {
    const ca = CertificateAuthority.open(this.info.testCa.dir, this.info.testCa.name);
    const unique = `${name}-${process.pid}-${Date.now()}`;
    const files = ca.issue({ name: unique, commonName: hosts[0] ?? name, hosts, usage: 'server' });
    return { ...files, caBundle: readFileSync(this.info.testCa.certFile).toString('base64') };
  }

  close(): void {
    this.adminClient?.close();
    this.adminClient = undefined;
  }
}

/** True when the cluster's apiserver answers /readyz with 200 (admin credentials). */
export async function apiServerReady(info: ClusterInfo): Promise<boolean> {
  const client = new KubeClient({ server: info.apiServer.url, caFile: info.apiServer.caFile, certFile: info.admin.certFile, keyFile: info.admin.keyFile });
  try {
    return (await client.request('GET', '/readyz', undefined, { allowError: true })).status === 200;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

let loaded: Cluster | undefined;

/** The running test cluster named by `AGENTRAIL_E2E_CLUSTER`. */
export function loadCluster(): Cluster {
  if (!loaded) {
    const file = process.env[CLUSTER_ENV];
    if (!file) {
      throw new Error(`${CLUSTER_ENV} is not set: run the e2e tests through jest's e2e project, or eval "$(make -s e2e-up)"`);
    }
    loaded = new Cluster(JSON.parse(readFileSync(file, 'utf8')) as ClusterInfo);
  }
  return loaded;
}

/** `<prefix>-<6 random chars>`: a name no other test or run uses (DNS-1123 safe). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8).padEnd(6, '0')}`;
}

/** Resolves when `check` returns a value other than undefined/false; polls every 200 ms. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A kubeconfig for one user: client certificate, static token, or exec plugin. */
export function kubeconfigYaml(
  info: Pick<ClusterInfo, 'apiServer'>,
  user: string,
  auth: { certFile: string; keyFile: string } | { token: string } | { exec: { command: string; args: string[] } },
): string {
  let credentials: Record<string, unknown>;
  if ('token' in auth) {
    credentials = { token: auth.token };
  } else if ('exec' in auth) {
    // How OIDC users log in on real clusters (kubelogin and the like): kubectl runs
    // a credential plugin that prints a fresh ID token.
    credentials = {
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command: auth.exec.command, args: auth.exec.args, interactiveMode: 'Never', provideClusterInfo: false },
    };
  } else {
    credentials = { 'client-certificate': auth.certFile, 'client-key': auth.keyFile };
  }
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'agentrail-e2e', cluster: { server: info.apiServer.url, 'certificate-authority': info.apiServer.caFile } }],
    users: [{ name: user, user: credentials }],
    contexts: [{ name: `${user}@agentrail-e2e`, context: { cluster: 'agentrail-e2e', user } }],
    'current-context': `${user}@agentrail-e2e`,
  });
}
