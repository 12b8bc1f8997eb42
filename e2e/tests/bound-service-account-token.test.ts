/**
 * The basis of nested-agent attribution: a service-account token bound to a Pod
 * (TokenRequest with a Pod boundObjectRef) authenticates as the service account,
 * and when that identity creates a pod — an agent spawning an agent — the
 * admission webhook sees which pod it came from in `userInfo.extra`.
 */
import { startAdmissionServer, type AdmissionServer } from '../harness/admission-server.js';
import { eventually, loadCluster, uniqueName } from '../harness/cluster.js';
import type { KubeClient, KubeObject } from '../harness/kube-client.js';

const POD_NAME_KEY = 'authentication.kubernetes.io/pod-name';
const POD_UID_KEY = 'authentication.kubernetes.io/pod-uid';
const SUITE_LABEL = 'e2e.agentrail.dev/suite';

const cluster = loadCluster();
const admin = cluster.admin();
const namespace = uniqueName('e2e-bound-token');
let hook: AdmissionServer;
let webhookConfig: KubeObject;
let planner: KubeObject;
let token: string;
let asPlanner: KubeClient;

const pod = (name: string, serviceAccountName?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace },
  // No scheduler or kubelet runs: the pod stays Pending, which is all a bound
  // token needs (the apiserver checks the pod exists with this uid).
  spec: { ...(serviceAccountName ? { serviceAccountName } : {}), containers: [{ name: 'agent', image: 'registry.invalid/agent:e2e' }] },
});

interface SelfSubjectReview {
  status: { userInfo: { username: string; groups?: string[]; extra?: Record<string, string[]> } };
}

async function whoami(client: KubeClient): Promise<{ status: number; body: SelfSubjectReview }> {
  return client.request<SelfSubjectReview>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { allowError: true });
}

beforeAll(async () => {
  hook = await startAdmissionServer(cluster, () => ({ allowed: true }));
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { [SUITE_LABEL]: namespace } } });
  await admin.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'planner', namespace } });
  await admin.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'spawn-agents', namespace },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['create', 'get'] }],
  });
  await admin.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'planner-spawns-agents', namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'spawn-agents' },
    subjects: [{ kind: 'ServiceAccount', name: 'planner', namespace }],
  });
  webhookConfig = await admin.create({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: namespace },
    webhooks: [{
      name: 'pods.e2e.agentrail.dev',
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy: 'Fail',
      timeoutSeconds: 5,
      clientConfig: { url: hook.url('/validate'), caBundle: hook.caBundle },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
      namespaceSelector: { matchLabels: { [SUITE_LABEL]: namespace } },
    }],
  });
  await hook.waitUntilCalled(() => admin.create(pod('probe'), { dryRun: true }));

  planner = await admin.create(pod('planner', 'planner'));
  const tokenRequest = await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/planner/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: {
      expirationSeconds: 600,
      boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: planner.metadata.name, uid: planner.metadata.uid },
    },
  });
  token = tokenRequest.body.status.token;
  asPlanner = await cluster.client({ token });
});

afterAll(async () => {
  asPlanner?.close();
  if (webhookConfig) await admin.delete(webhookConfig);
  await admin.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await hook?.close();
  cluster.close();
});

test('the token authenticates as the service account, naming its pod', async () => {
  const res = await whoami(asPlanner);
  expect(res.status).toBe(201);
  const user = res.body.status.userInfo;
  expect(user.username).toBe(`system:serviceaccount:${namespace}:planner`);
  expect(user.groups).toEqual(expect.arrayContaining(['system:serviceaccounts', `system:serviceaccounts:${namespace}`]));
  expect(user.extra?.[POD_NAME_KEY]).toEqual(['planner']);
  expect(user.extra?.[POD_UID_KEY]).toEqual([planner.metadata.uid]);
});

test('a pod created with the token reaches the webhook with pod-name and pod-uid', async () => {
  const sweeper = await asPlanner.create(pod('sweeper'));
  expect(sweeper.metadata.uid).toBeTruthy();
  const seen = hook.requests.find((r) => r.name === 'sweeper' && !r.dryRun);
  expect(seen?.userInfo.username).toBe(`system:serviceaccount:${namespace}:planner`);
  expect(seen?.userInfo.extra?.[POD_NAME_KEY]).toEqual(['planner']);
  expect(seen?.userInfo.extra?.[POD_UID_KEY]).toEqual([planner.metadata.uid]);
});

test('the token stops working once its pod is gone', async () => {
  await admin.delete(planner);
  // The authenticator looks the pod up in the apiserver's informer cache first.
  const status = await eventually('the token to be refused', async () => {
    const res = await whoami(asPlanner);
    return res.status === 401 ? res.status : undefined;
  });
  expect(status).toBe(401);
});
