import { describe, expect, it } from '@jest/globals';
import type { PolicyBundle } from '@agentrail/core';
import type { PolicyObject } from '../policy/policy-bundle.js';
import { PolicyReconciler, type BundleStore, type CompileFn, type PolicyReader, type StatusWriter } from './policy-reconciler.js';
import type { PolicyStatus } from './policy-status.js';

/** In-memory peers: the reconciler's logic, without apiserver or NATS (the e2e test has those). */
class Fakes implements PolicyReader, StatusWriter {
  objects = new Map<string, PolicyObject>();
  kv = new Map<string, PolicyBundle>();
  statusWrites: PolicyStatus[] = [];
  puts = 0;
  isSynced = true;

  synced() { return this.isSynced; }
  get(ref: { namespace: string; name: string }) { return this.objects.get(`${ref.namespace}/${ref.name}`); }
  async writeStatus(obj: PolicyObject, status: PolicyStatus): Promise<'written' | 'gone'> {
    const stored = this.objects.get(`${obj.metadata.namespace}/${obj.metadata.name}`);
    if (stored === undefined) return 'gone';
    stored.status = JSON.parse(JSON.stringify(status)) as PolicyObject['status'];
    this.statusWrites.push(status);
    return 'written';
  }
  async put(key: string, b: PolicyBundle) { this.puts++; this.kv.set(key, JSON.parse(JSON.stringify(b)) as PolicyBundle); }
  async delete(key: string) { this.kv.delete(key); }
  async keys() { return [...this.kv.keys()]; }
}

function fakes() {
  const f = new Fakes();
  const bundles: BundleStore = { get: async (k) => f.kv.get(k), put: (k, b) => f.put(k, b), delete: (k) => f.delete(k), keys: () => f.keys() };
  return { f, bundles };
}

/** A stand-in compiler: a rule whose `when` is "bad" fails with the path the real engine reports. */
const compile: CompileFn = (obj) => {
  const rules = ((obj as PolicyObject).spec?.rules ?? []) as { when?: string }[];
  const errors = rules.flatMap((r, i) => (r.when === 'bad' ? [{ path: `spec.rules[${i}].when`, message: 'found no matching overload' }] : []));
  return errors.length === 0 ? { ok: true } : { ok: false, errors };
};

function policy(generation: number, rules: { name: string; when?: string }[], uid = 'uid-1'): PolicyObject {
  return {
    apiVersion: 'agentrail.dev/v1alpha1', kind: 'GatewayPolicy',
    metadata: { namespace: 'agents', name: 'research', uid, generation, resourceVersion: String(generation * 10) },
    spec: { defaultAction: 'Deny', rules: rules.map((r) => ({ action: 'Deny', operations: ['*:Delete*'], ...r })) },
  };
}

let clock = Date.parse('2026-03-01T12:00:00Z');
const now = () => new Date((clock += 60_000));
const ref = { namespace: 'agents', name: 'research' };

function setup() {
  const { f, bundles } = fakes();
  const reconciler = new PolicyReconciler({ reader: f, status: f, bundles, compile, now });
  return { f, reconciler };
}

describe('PolicyReconciler', () => {
  it('publishes a valid policy and marks it Ready=True with observedGeneration and rule count', async () => {
    const { f, reconciler } = setup();
    f.objects.set('agents/research', policy(1, [{ name: 'no-deletes' }]));
    expect(await reconciler.reconcile(ref)).toEqual({ outcome: 'published', statusWritten: true });
    const bundle = f.kv.get('agents.research');
    expect(bundle).toMatchObject({ apiVersion: 'agentrail.dev/v1alpha1', kind: 'GatewayPolicy', metadata: { namespace: 'agents', name: 'research', generation: 1, uid: 'uid-1' } });
    expect(bundle?.spec).toEqual(policy(1, [{ name: 'no-deletes' }]).spec);
    expect(Number.isNaN(Date.parse(bundle?.compiledAt ?? ''))).toBe(false);
    expect(bundle).not.toHaveProperty('status');
    expect(f.objects.get('agents/research')?.status).toMatchObject({
      observedGeneration: 1, rules: 1,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Compiled', observedGeneration: 1 }],
    });
  });

  it('writes nothing when reconciling a policy that is already current', async () => {
    const { f, reconciler } = setup();
    f.objects.set('agents/research', policy(1, [{ name: 'a' }]));
    await reconciler.reconcile(ref);
    expect(await reconciler.reconcile(ref)).toEqual({ outcome: 'unchanged', statusWritten: false });
    expect(f.puts).toBe(1);
    expect(f.statusWrites).toHaveLength(1);
  });

  it('publishes a new generation and keeps lastTransitionTime while Ready stays True', async () => {
    const { f, reconciler } = setup();
    f.objects.set('agents/research', policy(1, [{ name: 'a' }]));
    await reconciler.reconcile(ref);
    const firstTransition = f.objects.get('agents/research')?.status?.conditions?.[0]?.lastTransitionTime;
    f.objects.set('agents/research', { ...policy(2, [{ name: 'a' }, { name: 'b' }]), status: f.objects.get('agents/research')?.status });
    expect((await reconciler.reconcile(ref)).outcome).toBe('published');
    expect(f.kv.get('agents.research')?.metadata.generation).toBe(2);
    const status = f.objects.get('agents/research')?.status;
    expect(status).toMatchObject({ observedGeneration: 2, rules: 2 });
    expect(status?.conditions?.[0]?.lastTransitionTime).toBe(firstTransition);
  });

  it('keeps the last valid version in KV when an edit does not compile, and says so', async () => {
    const { f, reconciler } = setup();
    f.objects.set('agents/research', policy(1, [{ name: 'no-deletes' }]));
    await reconciler.reconcile(ref);
    const before = f.objects.get('agents/research')?.status?.conditions?.[0]?.lastTransitionTime;
    f.objects.set('agents/research', { ...policy(2, [{ name: 'no-deletes' }, { name: 'nested', when: 'bad' }]), status: f.objects.get('agents/research')?.status });
    expect(await reconciler.reconcile(ref)).toEqual({ outcome: 'invalid', statusWritten: true });
    expect(f.kv.get('agents.research')?.metadata.generation).toBe(1);
    const cond = f.objects.get('agents/research')?.status?.conditions?.[0];
    expect(cond).toMatchObject({ status: 'False', reason: 'Invalid', observedGeneration: 2 });
    expect(cond?.message).toContain('spec.rules[1].when (rule "nested"): found no matching overload');
    expect(cond?.message).toContain('generation 1, the last valid one, stays in force');
    expect(cond?.lastTransitionTime).not.toBe(before);
  });

  it('publishes nothing for a policy that never compiled, and says nothing is enforced', async () => {
    const { f, reconciler } = setup();
    f.objects.set('agents/research', policy(1, [{ name: 'x', when: 'bad' }]));
    expect((await reconciler.reconcile(ref)).outcome).toBe('invalid');
    expect(f.kv.size).toBe(0);
    expect(f.objects.get('agents/research')?.status?.conditions?.[0]?.message).toContain('nothing of this policy is enforced');
  });

  it('removes a bundle left by a deleted namesake when the new object does not compile', async () => {
    const { f, reconciler } = setup();
    f.objects.set('agents/research', policy(4, [{ name: 'a' }], 'old-uid'));
    await reconciler.reconcile(ref);
    f.objects.set('agents/research', policy(1, [{ name: 'x', when: 'bad' }], 'new-uid'));
    await reconciler.reconcile(ref);
    expect(f.kv.has('agents.research')).toBe(false);
  });

  it('deletes the key of a deleted policy, and does nothing more the next time', async () => {
    const { f, reconciler } = setup();
    f.objects.set('agents/research', policy(1, [{ name: 'a' }]));
    await reconciler.reconcile(ref);
    f.objects.delete('agents/research');
    expect(await reconciler.reconcile(ref)).toEqual({ outcome: 'deleted', statusWritten: false });
    expect(f.kv.has('agents.research')).toBe(false);
    expect(await reconciler.reconcile(ref)).toEqual({ outcome: 'unchanged', statusWritten: false });
  });

  it('refuses to treat absence as deletion before the cache has synced', async () => {
    const { f, reconciler } = setup();
    f.kv.set('agents.research', { ...policy(1, []), compiledAt: '' } as PolicyBundle);
    f.isSynced = false;
    await expect(reconciler.reconcile(ref)).rejects.toMatchObject({ code: 'CACHE_NOT_SYNCED', retryable: true });
    expect(f.kv.has('agents.research')).toBe(true);
  });

  it('never overwrites a newer published generation with what a lagging cache holds', async () => {
    const { f, reconciler } = setup();
    f.objects.set('agents/research', policy(3, [{ name: 'a' }]));
    await reconciler.reconcile(ref);
    f.objects.set('agents/research', policy(2, [{ name: 'a' }]));
    await reconciler.reconcile(ref);
    expect(f.kv.get('agents.research')?.metadata.generation).toBe(3);
    expect(f.puts).toBe(1);
  });

  it('reports an object deleted between read and status write as not written', async () => {
    const { f } = setup();
    const obj = policy(1, [{ name: 'a' }]);
    const reader: PolicyReader = { synced: () => true, get: () => obj };
    const r = await new PolicyReconciler({ reader, status: f, bundles: { get: async () => undefined, put: async () => {}, delete: async () => {}, keys: async () => [] }, compile }).reconcile(ref);
    expect(r).toEqual({ outcome: 'published', statusWritten: false });
  });

  it('refuses keys that are not Kubernetes names, for good', async () => {
    await expect(setup().reconciler.reconcile({ namespace: 'Bad', name: 'x' })).rejects.toMatchObject({ code: 'INVALID_KEY', retryable: false });
  });
});
