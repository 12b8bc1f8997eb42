/**
 * The route `kubectl get sessions` will take: an APIService for
 * audit.agentrail.dev backed by an ExternalName Service (`externalName:
 * localhost`) reaches an HTTPS server on loopback through the aggregator.
 *
 * Why this works without a pod network: with `--enable-aggregator-routing=false`
 * the aggregator resolves a Service to `<externalName>:<APIService port>` for
 * type ExternalName (k8s.io/apiserver/pkg/util/proxy.ResolveCluster) instead of
 * to endpoints, which may not be loopback addresses. It still verifies the
 * server certificate for `<service>.<namespace>.svc` against the APIService's
 * caBundle, and authenticates itself with the front-proxy client certificate.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { eventually, loadCluster, uniqueName } from '../harness/cluster.js';
import type { KubeObject } from '../harness/kube-client.js';

const GROUP = 'audit.agentrail.dev';
const VERSION = 'v1alpha1';
const cluster = loadCluster();
const admin = cluster.admin();
const namespace = uniqueName('e2e-aggregation');
const serviceName = 'audit-api';

interface SeenRequest {
  path: string;
  clientCertCN: string | undefined;
  user: string | undefined;
  groups: string[];
}
const seen: SeenRequest[] = [];
let server: Server;
let apiService: KubeObject;

const resourceList = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: `${GROUP}/${VERSION}`,
  resources: [{ name: 'sessions', singularName: 'session', namespaced: true, kind: 'Session', verbs: ['get', 'list'] }],
};

beforeAll(async () => {
  // The aggregator dials `localhost` but checks the certificate for the Service's DNS name.
  const cert = cluster.issueServingCert('audit-api', [`${serviceName}.${namespace}.svc`]);
  server = createServer({
    cert: readFileSync(cert.certFile),
    key: readFileSync(cert.keyFile),
    // Only the aggregator may call: it presents the front-proxy client certificate.
    ca: readFileSync(cluster.info.frontProxy.caFile),
    requestCert: true,
    rejectUnauthorized: true,
  }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const groupHeader = req.headersDistinct['x-remote-group'] ?? [];
    seen.push({ path: req.url ?? '', clientCertCN: peer.subject?.CN as string | undefined, user: req.headers['x-remote-user'] as string | undefined, groups: groupHeader });
    const body = req.url === `/apis/${GROUP}/${VERSION}` ? resourceList : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound' }));
  });
  // The aggregator's dialer tries every address of `localhost`; IPv4 answers.
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await admin.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: serviceName, namespace },
    spec: { type: 'ExternalName', externalName: 'localhost' },
  });
  apiService = await admin.apply({
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: `${VERSION}.${GROUP}` },
    spec: {
      group: GROUP,
      version: VERSION,
      service: { namespace, name: serviceName, port },
      caBundle: cert.caBundle,
      groupPriorityMinimum: 1000,
      versionPriority: 15,
    },
  });
});

afterAll(async () => {
  if (apiService) await admin.delete(apiService);
  await admin.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  cluster.close();
});

test('the aggregator marks the APIService Available', async () => {
  const available = await eventually('APIService Available', async () => {
    const svc = await admin.get<{ status?: { conditions?: { type: string; status: string; message?: string }[] } }>(
      `/apis/apiregistration.k8s.io/v1/apiservices/${VERSION}.${GROUP}`);
    const cond = svc.status?.conditions?.find((c) => c.type === 'Available');
    return cond?.status === 'True' ? cond : undefined;
  }, 30_000);
  expect(available.status).toBe('True');
});

/**
 * The last request a person made: the aggregator polls the server for its
 * own availability check (as system:kube-aggregator) at any moment, so the
 * very last request seen may be one of those.
 */
const lastPersonRequest = (): SeenRequest | undefined => seen.filter((r) => r.user !== 'system:kube-aggregator').at(-1);

test('kubectl get --raw /apis/audit.agentrail.dev/v1alpha1 answers from the local server', async () => {
  const res = await eventually('a proxied answer', async () => {
    const r = await cluster.kubectl(['get', '--raw', `/apis/${GROUP}/${VERSION}`]);
    return r.code === 0 ? r : undefined;
  });
  expect(JSON.parse(res.stdout)).toEqual(resourceList);
  expect(lastPersonRequest()).toMatchObject({ path: `/apis/${GROUP}/${VERSION}`, clientCertCN: 'front-proxy-client', user: 'agentrail-e2e-admin' });
});

test('the extension server learns the OIDC user and groups from the aggregator', async () => {
  const res = await cluster.kubectl(['get', '--raw', `/apis/${GROUP}/${VERSION}`], { as: 'alice' });
  expect(res.stderr).toBe('');
  expect(JSON.parse(res.stdout)).toMatchObject({ groupVersion: `${GROUP}/${VERSION}` });
  const last = lastPersonRequest();
  expect(last?.user).toBe('alice');
  expect(last?.groups).toEqual(expect.arrayContaining(['research', 'system:authenticated']));
});

test('the group is listed in API discovery', async () => {
  const group = await eventually('discovery of the group', async () => {
    const groups = await admin.get<{ groups: { name: string; preferredVersion: { version: string } }[] }>('/apis');
    return groups.groups.find((g) => g.name === GROUP);
  });
  expect(group.preferredVersion.version).toBe(VERSION);
});
