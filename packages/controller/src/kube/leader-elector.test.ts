import { describe, expect, it } from '@jest/globals';
import type { LeaseApi, LeaseRecord } from './kube-lease-api.js';
import { LeaderElector, type LeaderElectorOptions } from './leader-elector.js';

/** One Lease with the apiserver's optimistic concurrency: a write must carry the current resourceVersion. */
class FakeLeases implements LeaseApi {
  lease: LeaseRecord | undefined;
  failing = false;
  private rv = 0;

  async read(): Promise<LeaseRecord | undefined> {
    if (this.failing) throw new Error('apiserver unreachable');
    return this.lease === undefined ? undefined : { ...this.lease };
  }
  async create(_ns: string, _name: string, record: Omit<LeaseRecord, 'resourceVersion'>): Promise<boolean> {
    if (this.failing) throw new Error('apiserver unreachable');
    if (this.lease !== undefined) return false;
    this.lease = { ...record, resourceVersion: String(++this.rv) };
    return true;
  }
  async update(_ns: string, _name: string, record: LeaseRecord): Promise<boolean> {
    if (this.failing) throw new Error('apiserver unreachable');
    if (this.lease?.resourceVersion !== record.resourceVersion) return false;
    this.lease = { ...record, resourceVersion: String(++this.rv) };
    return true;
  }
}

function elector(api: LeaseApi, identity: string, extra: Partial<LeaderElectorOptions> = {}) {
  const events: string[] = [];
  const e = new LeaderElector({
    api, namespace: 'agentrail-system', identity,
    onStartedLeading: () => events.push('started'), onStoppedLeading: () => events.push('stopped'),
    ...extra,
  });
  return { e, events };
}

const until = async (check: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('LeaderElector', () => {
  it('creates the lease when there is none, and renews it while holding it', async () => {
    const api = new FakeLeases();
    const { e } = elector(api, 'a');
    expect(await e.tryAcquireOrRenew()).toBe('held');
    expect(api.lease).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    const acquired = api.lease?.acquireTime;
    expect(await e.tryAcquireOrRenew()).toBe('held');
    expect(api.lease?.acquireTime).toBe(acquired);
    expect(api.lease?.leaseTransitions).toBe(0);
  });

  it('leaves a valid lease alone, and takes it once it has not changed for its duration on the local clock', async () => {
    const api = new FakeLeases();
    let now = 0;
    await elector(api, 'a').e.tryAcquireOrRenew();
    const { e: b } = elector(api, 'b', { clock: () => now });
    expect(await b.tryAcquireOrRenew()).toBe('other');
    now += 14_000;
    expect(await b.tryAcquireOrRenew()).toBe('other');
    now += 1_000;
    expect(await b.tryAcquireOrRenew()).toBe('held');
    expect(api.lease).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('judges expiry by when the record last changed, not by the holder\'s renewTime (clock skew)', async () => {
    const api = new FakeLeases();
    let now = 0;
    const { e: a } = elector(api, 'a');
    await a.tryAcquireOrRenew();
    api.lease = { ...(api.lease as LeaseRecord), renewTime: '2001-01-01T00:00:00.000000Z' };
    const { e: b } = elector(api, 'b', { clock: () => now });
    expect(await b.tryAcquireOrRenew()).toBe('other');
    now += 10_000;
    await a.tryAcquireOrRenew();
    now += 10_000;
    expect(await b.tryAcquireOrRenew()).toBe('other');
  });

  it('lets exactly one of two candidates win a race', async () => {
    const api = new FakeLeases();
    const results = await Promise.all([elector(api, 'a').e.tryAcquireOrRenew(), elector(api, 'b').e.tryAcquireOrRenew()]);
    expect(results.sort()).toEqual(['held', 'lost']);
  });

  it('runs one leader; the standby takes over at once when the leader releases on stop', async () => {
    const api = new FakeLeases();
    const a = elector(api, 'a', { retryPeriodMs: 20, renewDeadlineMs: 100, leaseDurationMs: 5_000 });
    const b = elector(api, 'b', { retryPeriodMs: 20, renewDeadlineMs: 100, leaseDurationMs: 5_000 });
    a.e.start();
    await until(() => a.e.isLeader());
    b.e.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(b.e.isLeader()).toBe(false);
    await a.e.stop();
    expect(a.events).toEqual(['started', 'stopped']);
    expect(api.lease?.holderIdentity).not.toBe('a');
    // Far sooner than the 5 s lease duration: the lease was released.
    await until(() => b.e.isLeader(), 1_000);
    await b.e.stop();
    await a.e.stop();
  });

  it('steps down when it cannot renew within the renew deadline', async () => {
    const api = new FakeLeases();
    const { e, events } = elector(api, 'a', { retryPeriodMs: 10, renewDeadlineMs: 60, leaseDurationMs: 1_000 });
    e.start();
    await until(() => e.isLeader());
    api.failing = true;
    await until(() => !e.isLeader(), 2_000);
    expect(events).toEqual(['started', 'stopped']);
    api.failing = false;
    await until(() => e.isLeader(), 2_000);
    await e.stop();
  });

  it('steps down at once when another replica validly holds the lease', async () => {
    const api = new FakeLeases();
    const { e, events } = elector(api, 'a', { retryPeriodMs: 10, renewDeadlineMs: 5_000, leaseDurationMs: 10_000 });
    e.start();
    await until(() => e.isLeader());
    // Someone forced the lease over (e.g. an operator edited it).
    api.lease = { ...(api.lease as LeaseRecord), holderIdentity: 'intruder', renewTime: 'changed', resourceVersion: 'x' };
    await until(() => !e.isLeader(), 1_000);
    expect(events).toEqual(['started', 'stopped']);
    await e.stop();
  });
});
