/**
 * A MutatingWebhookConfiguration with `clientConfig.url` on loopback reaches a
 * test HTTPS server; its JSON patch lands on the stored object, and the
 * AdmissionReview names the OIDC user and groups who made the request — the
 * identity AgentRail's webhook stamps as a chain's initiator.
 */
import { startAdmissionServer, type AdmissionServer, type JsonPatchOp } from '../harness/admission-server.js';
import { loadCluster, uniqueName } from '../harness/cluster.js';
import type { KubeObject } from '../harness/kube-client.js';

const cluster = loadCluster();
const admin = cluster.admin();
const namespace = uniqueName('e2e-webhook');
const SUITE_LABEL = 'e2e.agentrail.dev/suite';
let hook: AdmissionServer;
let webhookConfig: KubeObject;

beforeAll(async () => {
  hook = await startAdmissionServer(cluster, (req) => {
    const labels = req.object?.metadata?.labels;
    const patch: JsonPatchOp[] = [
      labels
        ? { op: 'add', path: '/metadata/labels/e2e.agentrail.dev~1mutated', value: 'true' }
        : { op: 'add', path: '/metadata/labels', value: { 'e2e.agentrail.dev/mutated': 'true' } },
      req.object?.metadata?.annotations
        ? { op: 'add', path: '/metadata/annotations/e2e.agentrail.dev~1initiator', value: req.userInfo.username }
        : { op: 'add', path: '/metadata/annotations', value: { 'e2e.agentrail.dev/initiator': req.userInfo.username } },
    ];
    return { allowed: true, patch };
  });
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { [SUITE_LABEL]: namespace } } });
  webhookConfig = await admin.create({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: namespace },
    webhooks: [{
      name: 'configmaps.e2e.agentrail.dev',
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy: 'Fail',
      timeoutSeconds: 5,
      clientConfig: { url: hook.url('/mutate'), caBundle: hook.caBundle },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'], scope: 'Namespaced' }],
      // Only this suite's namespace: other tests share the cluster.
      namespaceSelector: { matchLabels: { [SUITE_LABEL]: namespace } },
    }],
  });
  await hook.waitUntilCalled(() =>
    admin.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe', namespace } }, { dryRun: true }));
});

afterAll(async () => {
  // A leftover `failurePolicy: Fail` webhook would break a reused cluster.
  if (webhookConfig) await admin.delete(webhookConfig);
  await admin.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await hook?.close();
  cluster.close();
});

test('the patch is applied to an object alice creates with kubectl', async () => {
  const res = await cluster.kubectl(['create', 'configmap', 'planner-settings', '-n', namespace, '--from-literal=model=small', '-o', 'json'], { as: 'alice' });
  expect(res.stderr).toBe('');
  const created = JSON.parse(res.stdout) as KubeObject;
  expect(created.metadata.labels).toEqual({ 'e2e.agentrail.dev/mutated': 'true' });
  expect(created.metadata.annotations).toEqual({ 'e2e.agentrail.dev/initiator': 'alice' });

  const stored = await admin.get<KubeObject>(`/api/v1/namespaces/${namespace}/configmaps/planner-settings`);
  expect(stored.metadata.labels?.['e2e.agentrail.dev/mutated']).toBe('true');
});

test('the AdmissionReview carries the OIDC user name and groups', async () => {
  const res = await cluster.kubectl(['create', 'configmap', 'bob-settings', '-n', namespace], { as: 'bob' });
  expect(res.code).toBe(0);
  const seen = hook.requests.find((r) => r.name === 'bob-settings' && !r.dryRun);
  expect(seen?.operation).toBe('CREATE');
  expect(seen?.userInfo.username).toBe('bob');
  expect(seen?.userInfo.groups).toEqual(expect.arrayContaining(['sre', 'system:authenticated']));
});

test('a user minted for this test arrives with exactly its token\'s identity', async () => {
  const carol = await cluster.client({ user: 'carol@example.com', groups: ['research', 'platform'] });
  try {
    const created = await carol.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'carol-settings', namespace } });
    expect(created.metadata.annotations).toEqual({ 'e2e.agentrail.dev/initiator': 'carol@example.com' });
  } finally {
    carol.close();
  }
  const seen = hook.requests.find((r) => r.name === 'carol-settings');
  expect(seen?.userInfo).toMatchObject({ username: 'carol@example.com', groups: ['research', 'platform', 'system:authenticated'] });
});

test('objects outside the selected namespace never reach the webhook', async () => {
  const other = uniqueName('e2e-webhook-other');
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: other } });
  try {
    const created = await admin.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'untouched', namespace: other } });
    expect(created.metadata.labels).toBeUndefined();
    expect(hook.requests.some((r) => r.namespace === other)).toBe(false);
  } finally {
    await admin.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: other } });
  }
});
