/**
 * The GatewayPolicy controller against a real kube-apiserver and nats-server,
 * with a sidecar's PolicyWatcher on the other end of the KV bucket:
 * valid policies turn Ready=True and reach the watcher, invalid ones are
 * marked Ready=False/Invalid with the field and rule named and are never
 * published, edits and deletions reach the watcher's decisions within a
 * second, and of two controllers only the Lease holder reconciles — the
 * other takes over when it stops.
 *
 * Both controllers run in this process against the admin kubeconfig; their
 * Lease lives in this suite's own namespace, so runs never share one.
 */
import { join } from 'node:path';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { PolicyRequest, PolicySet } from '@agentrail/core';
import { GatewayPolicyController, loadKubeConfig, POLICY_BUCKET as CONTROLLER_BUCKET } from '@agentrail/controller';
import { PolicyWatcher, POLICY_BUCKET as SIDECAR_BUCKET } from '@agentrail/sidecar';
import { eventually, loadCluster, uniqueName } from '../harness/cluster.js';
import type { KubeObject } from '../harness/kube-client.js';
import { REPO_ROOT } from '../harness/processes.js';
import { startSidecar } from '../../packages/sidecar/test/fixtures/sidecar-fixture.js';

const cluster = loadCluster();
const admin = cluster.admin();
const namespace = uniqueName('e2e-gwp');
const API = 'agentrail.dev/v1alpha1';
const policiesPath = `/apis/${API}/namespaces/${namespace}/gatewaypolicies`;

interface Condition { type: string; status: string; reason: string; message: string; lastTransitionTime: string; observedGeneration?: number }
interface Policy extends KubeObject {
  metadata: KubeObject['metadata'] & { generation?: number };
  status?: { conditions?: Condition[]; observedGeneration?: number; rules?: number };
}

const controllers: GatewayPolicyController[] = [];
let watcher: PolicyWatcher;
let policies: PolicySet | undefined;
let nc: NatsConnection;

function policy(name: string, rules: Record<string, unknown>[], extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: API, kind: 'GatewayPolicy', metadata: { name, namespace }, spec: { defaultAction: 'Allow', rules, ...extra } };
}

function call(operation: string): PolicyRequest {
  return {
    identity: { initiator: 'alice', chain: [{ type: 'User', name: 'alice' }, { type: 'Pod', name: `${namespace}/planner` }], session: 's-1', namespace, pod: 'planner' },
    aws: { service: operation.split(':')[0] ?? '', operation, region: 'us-east-1', resources: ['*'] },
    request: { method: 'POST', path: '/' },
    time: new Date(),
  };
}

const decide = (operation: string) => policies?.evaluate(call(operation));
const ready = (p: Policy) => p.status?.conditions?.find((c) => c.type === 'Ready');
const getPolicy = (name: string) => admin.get<Policy>(`${policiesPath}/${name}`);
/** Replaces a policy's rules, as `kubectl edit` would (a merge patch replaces the whole list). */
const setRules = (name: string, rules: Record<string, unknown>[]) =>
  admin.request('PATCH', `${policiesPath}/${name}`, { spec: { rules } }, { contentType: 'application/merge-patch+json' });

async function kvBundle(name: string): Promise<{ metadata: { generation: number; uid: string }; spec: unknown } | undefined> {
  const kv = await new Kvm(nc).open(CONTROLLER_BUCKET);
  const e = await kv.get(`${namespace}.${name}`);
  return e === null || e.operation !== 'PUT' ? undefined : e.json();
}

/** Polls `check` every 5 ms; resolves with the milliseconds it took. */
async function within(what: string, ms: number, check: () => boolean): Promise<number> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - start;
}

function startController(identity: string): GatewayPolicyController {
  const c = new GatewayPolicyController({
    kubeConfig: loadKubeConfig(cluster.info.admin.kubeconfig),
    natsServers: cluster.info.nats.url,
    leaseNamespace: namespace,
    identity,
    ops: { host: '127.0.0.1', port: 0 },
  });
  controllers.push(c);
  return c;
}

async function reconcileCount(c: GatewayPolicyController): Promise<number> {
  return (await c.metrics.reconciles.get()).values.reduce((n, v) => n + v.value, 0);
}

beforeAll(async () => {
  // Idempotent: crds.test.ts applies the same file when it runs in the same cluster.
  const crd = join(REPO_ROOT, 'crds/agentrail.dev_gatewaypolicies.yaml');
  const applied = await cluster.kubectl(['apply', '--server-side', '--force-conflicts', '-f', crd]);
  if (applied.code !== 0) throw new Error(`kubectl apply -f ${crd}: ${applied.stderr}`);
  const established = await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/gatewaypolicies.agentrail.dev']);
  if (established.code !== 0) throw new Error(established.stderr);
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  nc = await connect({ servers: cluster.info.nats.url });

  const a = startController('controller-a');
  const b = startController('controller-b');
  await Promise.all([a.start(), b.start()]);
  await eventually('a leader', async () => controllers.some((c) => c.isLeader() && c.ready().ok));

  watcher = await PolicyWatcher.start({
    servers: cluster.info.nats.url, namespace, podLabels: { team: 'research' },
    onChange: (set) => { policies = set; },
  });
  await eventually('the watcher syncs', async () => watcher.live());
});

afterAll(async () => {
  await watcher?.stop();
  await Promise.all(controllers.map((c) => c.stop()));
  await nc?.close();
  await admin.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  cluster.close();
});

test('the controller and the sidecar name the same bucket', () => {
  expect(SIDECAR_BUCKET).toBe(CONTROLLER_BUCKET);
});

test('a valid policy turns Ready=True with its generation, and is published', async () => {
  await admin.create(policy('guard', [{ name: 'no-deletes', action: 'Deny', operations: ['s3:Delete*'] }]));
  const p = await eventually('Ready=True', async () => {
    const got = await getPolicy('guard');
    return ready(got)?.status === 'True' ? got : undefined;
  });
  expect(ready(p)).toMatchObject({ reason: 'Compiled', observedGeneration: p.metadata.generation });
  expect(p.status).toMatchObject({ observedGeneration: p.metadata.generation, rules: 1 });
  expect(ready(p)?.message).toContain(`${CONTROLLER_BUCKET}/${namespace}.guard`);
  expect(await kvBundle('guard')).toMatchObject({ metadata: { generation: p.metadata.generation, uid: p.metadata.uid } });
  await within('the watcher denies deletes', 1_000, () => decide('s3:DeleteObject')?.action === 'Deny');

  const printed = await cluster.kubectl(['get', 'gatewaypolicies', '-n', namespace, 'guard', '--no-headers']);
  expect(printed.stdout).toMatch(/^guard\s+True\s+1\s+Allow\s/);
});

test('a policy the schema accepts but whose condition does not type-check is Ready=False/Invalid, naming rule and field', async () => {
  await admin.create(policy('broken', [
    { name: 'read-reports', action: 'Allow', operations: ['s3:Get*'] },
    { name: 'nested-agents-never-delete', action: 'Deny', operations: ['*:Delete*'], when: "size(identity.chain) > 'two'" },
  ]));
  const p = await eventually('Ready=False', async () => {
    const got = await getPolicy('broken');
    return ready(got)?.status === 'False' ? got : undefined;
  });
  expect(ready(p)).toMatchObject({ reason: 'Invalid', observedGeneration: p.metadata.generation });
  const message = ready(p)?.message ?? '';
  expect(message).toContain('spec.rules[1].when (rule "nested-agents-never-delete")');
  expect(message).toContain("found no matching overload for '_>_' applied to (int, string)");
  expect(message).toContain('nothing of this policy is enforced');
  expect(await kvBundle('broken')).toBeUndefined();
  expect(watcher.keys()).not.toContain(`${namespace}.broken`);
});

test('an edit reaches the watching sidecar within a second; an invalid edit leaves the last valid version in force', async () => {
  await within('guard in force', 1_000, () => decide('s3:DeleteObject')?.action === 'Deny');
  const started = performance.now();
  await setRules('guard', [{ name: 'no-puts', action: 'Deny', operations: ['s3:Put*'] }]);
  await within('the edited policy decides', 1_000, () => decide('s3:PutObject')?.action === 'Deny' && decide('s3:DeleteObject')?.action === 'Allow');
  expect(performance.now() - started).toBeLessThan(1_000);
  const valid = await getPolicy('guard');
  await eventually('bundle of the edit', async () => (await kvBundle('guard'))?.metadata.generation === valid.metadata.generation);

  await setRules('guard', [{ name: 'no-puts', action: 'Deny', operations: ['s3:Put*'], when: 'aws.operation + 1 == 2' }]);
  const invalid = await eventually('Ready=False', async () => {
    const got = await getPolicy('guard');
    return ready(got)?.status === 'False' ? got : undefined;
  });
  expect(ready(invalid)?.message).toContain(`generation ${valid.metadata.generation}, the last valid one, stays in force`);
  expect((await kvBundle('guard'))?.metadata.generation).toBe(valid.metadata.generation);
  expect(decide('s3:PutObject')?.action).toBe('Deny');

  await setRules('guard', [{ name: 'no-puts', action: 'Deny', operations: ['s3:Put*'] }, { name: 'no-deletes', action: 'Deny', operations: ['s3:Delete*'] }]);
  await within('the fixed policy decides', 2_000, () => decide('s3:DeleteObject')?.action === 'Deny');
  const fixed = await eventually('Ready=True again', async () => {
    const got = await getPolicy('guard');
    return ready(got)?.status === 'True' && got.status?.observedGeneration === got.metadata.generation ? got : undefined;
  });
  expect(fixed.status?.rules).toBe(2);
});

test('deleting a policy removes its key, and the watcher reverts', async () => {
  await admin.delete(policy('guard', []));
  await within('the watcher drops it', 1_000, () => policies?.size === 0);
  expect(decide('s3:DeleteObject')).toMatchObject({ action: 'Allow', reason: 'no-policy' });
  await eventually('key gone', async () => (await kvBundle('guard')) === undefined);
});

test('only the Lease holder reconciles; the standby takes over when it stops', async () => {
  const leaders = controllers.filter((c) => c.isLeader());
  expect(leaders).toHaveLength(1);
  const leader = leaders[0] as GatewayPolicyController;
  const standby = controllers.find((c) => c !== leader) as GatewayPolicyController;
  expect(await reconcileCount(leader)).toBeGreaterThan(0);
  expect(await reconcileCount(standby)).toBe(0);
  const lease = await admin.get<{ spec: { holderIdentity: string } }>(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/agentrail-controller`);
  expect(['controller-a', 'controller-b']).toContain(lease.spec.holderIdentity);
  expect((await leader.metrics.registry.getSingleMetricAsString('agentrail_controller_leader'))).toContain('agentrail_controller_leader 1');

  await leader.stop();
  // A released lease is taken at the standby's next attempt (every ~2 s), not after the 15 s lease duration.
  await eventually('the standby leads', async () => standby.isLeader(), 8_000);
  const next = await admin.get<{ spec: { holderIdentity: string } }>(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/agentrail-controller`);
  expect(next.spec.holderIdentity).not.toBe(lease.spec.holderIdentity);

  await admin.create(policy('after-failover', [{ name: 'no-deletes', action: 'Deny', operations: ['s3:Delete*'] }]));
  await eventually('Ready=True from the new leader', async () => ready(await getPolicy('after-failover'))?.status === 'True');
  await within('the watcher has it', 2_000, () => decide('s3:DeleteObject')?.action === 'Deny');
  expect(await reconcileCount(standby)).toBeGreaterThan(0);
});

test('a running sidecar watching the bucket changes its answers to a real client within a second of an edit', async () => {
  const { moto } = cluster.info;
  const sidecar = await startSidecar(moto.endpoint, moto, {
    'audit.natsUrl': cluster.info.nats.url, 'policy.watch': true, 'identity.namespace': namespace, 'identity.podLabels': ['team=research'],
  });
  try {
    const s3 = new S3Client({ ...sidecar.sdkConfig(), forcePathStyle: true });
    const list = () => s3.send(new ListBucketsCommand({})).then(() => 'allowed', (e: { name?: string }) => e.name ?? 'error');
    await eventually('the sidecar has synced', async () => (await list()) === 'allowed');
    await admin.create(policy('sidecar-guard', [{ name: 'no-listing', action: 'Deny', operations: ['s3:List*'] }]));
    const started = performance.now();
    await eventually('the sidecar denies listing', async () => (await list()) === 'AccessDenied', 5_000);
    const created = performance.now() - started;
    await setRules('sidecar-guard', [{ name: 'no-deletes', action: 'Deny', operations: ['s3:Delete*'] }]);
    const edited = performance.now();
    await eventually('the edit is in force', async () => (await list()) === 'allowed', 2_000);
    expect(performance.now() - edited).toBeLessThan(1_000);
    // The first policy of a namespace may wait for the controller's informer; edits are what the 1 s promise is about.
    expect(created).toBeLessThan(5_000);
    // Calls made before the first sync are refused by policy.unavailableAction and recorded as such;
    // the denials that follow the create name the policy and its rule.
    const denials = sidecar.audit.calls().filter((c) => c.decision.action === 'Deny');
    const early = denials.filter((c) => c.decision.reason === 'default');
    for (const call of early) expect(call.decision.message).toContain('policy.unavailableAction');
    expect(denials.at(-1)?.decision).toMatchObject({ policy: `${namespace}/sidecar-guard`, rule: 'no-listing' });
  } finally {
    await sidecar.stop();
    await admin.delete(policy('sidecar-guard', []));
  }
});
