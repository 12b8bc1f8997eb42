/**
 * The test control plane itself: the pinned binaries run, kubectl works against
 * the apiserver, OIDC users arrive with their groups, and the other peers
 * (nats-server with JetStream, moto with IAM auth) answer as the real thing.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { SignJWT } from 'jose';
import { loadCluster } from '../harness/cluster.js';
import { REPO_ROOT } from '../harness/processes.js';

const cluster = loadCluster();

/** The version e2e/tools/<dir>/go.mod pins for `module`. */
function pinned(dir: string, module: string): string {
  const gomod = readFileSync(join(REPO_ROOT, 'e2e/tools', dir, 'go.mod'), 'utf8');
  const m = new RegExp(`^\\s*${module.replace(/\./g, '\\.')} (v\\S+)`, 'm').exec(gomod);
  if (!m?.[1]) throw new Error(`${module} not pinned in e2e/tools/${dir}/go.mod`);
  return m[1];
}

afterAll(() => cluster.close());

describe('kube-apiserver', () => {
  test('reports the pinned Kubernetes release on /version', async () => {
    const version = await cluster.admin().get<{ gitVersion: string; gitTreeState: string }>('/version');
    expect(version.gitVersion).toBe(pinned('kubernetes', 'k8s.io/kubernetes'));
    expect(version.gitTreeState).toBe('clean');
  });

  test('answers /usr/bin/kubectl with the admin kubeconfig', async () => {
    const res = await cluster.kubectl(['get', 'namespaces', '-o', 'name']);
    expect(res.code).toBe(0);
    expect(res.stdout.split('\n')).toEqual(expect.arrayContaining(['namespace/default', 'namespace/kube-system']));
  });

  test.each([
    ['alice', 'research'],
    ['bob', 'sre'],
  ])('OIDC user %s logs in through the kubeconfig credential plugin, in group %s', async (user, group) => {
    const res = await cluster.kubectl(['auth', 'whoami', '-o', 'json'], { as: user });
    expect(res.stderr).toBe('');
    const review = JSON.parse(res.stdout) as { status: { userInfo: { username: string; groups: string[] } } };
    expect(review.status.userInfo.username).toBe(user);
    expect(review.status.userInfo.groups).toEqual(expect.arrayContaining([group, 'system:authenticated']));
  });

  test('any user and groups can be minted for a test', async () => {
    const res = await cluster.kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}'], {
      as: { user: 'carol@example.com', groups: ['research', 'platform'] },
    });
    expect(res.stdout).toBe('carol@example.com ["research","platform","system:authenticated"]');
  });

  test('refuses a token signed by a key other than the issuer\'s', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = await new SignJWT({ groups: ['system:masters'] })
      .setProtectedHeader({ alg: 'ES256', kid: cluster.info.oidc.kid })
      .setIssuer(cluster.info.oidc.issuer)
      .setAudience(cluster.info.oidc.audience)
      .setSubject('mallory')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const client = await cluster.client({ token: forged });
    try {
      const res = await client.request('GET', '/api/v1/namespaces', undefined, { allowError: true });
      expect(res.status).toBe(401);
    } finally {
      client.close();
    }
  });

  test('test users are tenants: workloads yes, cluster configuration no', async () => {
    const can = async (verb: string, resource: string, ...flags: string[]): Promise<string> =>
      (await cluster.kubectl(['auth', 'can-i', verb, resource, '-n', 'default', ...flags], { as: 'alice' })).stdout.trim();
    expect(await can('create', 'pods')).toBe('yes');
    expect(await can('create', 'serviceaccounts', '--subresource=token')).toBe('yes');
    expect(await can('create', 'mutatingwebhookconfigurations.admissionregistration.k8s.io')).toBe('no');
    expect(await can('create', 'customresourcedefinitions.apiextensions.k8s.io')).toBe('no');
  });
});

describe('nats-server', () => {
  test('is the pinned release and has JetStream enabled', async () => {
    const reply = await natsRequest(cluster.info.nats.url, '$JS.API.INFO');
    expect(reply.info.version).toBe(pinned('nats-server', 'github.com/nats-io/nats-server/v2').slice(1));
    expect(reply.info.jetstream).toBe(true);
    expect(JSON.parse(reply.message)).toMatchObject({ type: 'io.nats.jetstream.api.v1.account_info_response' });
  });
});

describe('moto', () => {
  const { endpoint, region, accessKeyId, secretAccessKey, userName } = cluster.info.moto;

  test('accepts requests signed with the bootstrapped access key', async () => {
    const sts = new STSClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey } });
    try {
      const me = await sts.send(new GetCallerIdentityCommand({}));
      expect(me.Arn).toBe(`arn:aws:iam::${me.Account}:user/${userName}`);
    } finally {
      sts.destroy();
    }
  });

  test('refuses a request whose signature does not verify (IAM auth is on)', async () => {
    const sts = new STSClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey: `${secretAccessKey}x` }, maxAttempts: 1 });
    try {
      await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    } finally {
      sts.destroy();
    }
  });
});

test('helm from the build cache is the pinned release', () => {
  const out = execFileSync(cluster.info.tools.helm, ['version', '--short'], { encoding: 'utf8' });
  expect(out.trim()).toBe(pinned('helm', 'helm.sh/helm/v3'));
});

/**
 * One request over the raw NATS protocol (no client library is a dependency
 * here): CONNECT, SUB to an inbox, PUB with that reply subject, read the MSG.
 */
function natsRequest(url: string, subject: string): Promise<{ info: { version: string; jetstream?: boolean }; message: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect({ host: hostname, port: Number(port) });
    let buf = '';
    let info: { version: string; jetstream?: boolean } | undefined;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no reply from ${url} on ${subject}: ${buf}`));
    }, 10_000);
    sock.on('error', reject);
    sock.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      if (!info) {
        const m = /^INFO (.+)\r\n/.exec(buf);
        if (!m?.[1]) return;
        info = JSON.parse(m[1]) as { version: string; jetstream?: boolean };
        buf = buf.slice(m[0].length);
        sock.write(`CONNECT {"verbose":false,"pedantic":false,"name":"agentrail-e2e"}\r\nSUB _INBOX.e2e 1\r\nPUB ${subject} _INBOX.e2e 0\r\n\r\n`);
      }
      const msg = /MSG _INBOX\.e2e 1 (\d+)\r\n/.exec(buf);
      if (msg?.[1]) {
        const start = msg.index + msg[0].length;
        const size = Number(msg[1]);
        if (Buffer.byteLength(buf.slice(start)) >= size) {
          clearTimeout(timer);
          sock.destroy();
          resolve({ info, message: buf.slice(start, start + size) });
        }
      }
    });
  });
}
