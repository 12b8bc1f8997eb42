import { silentLog, type ControllerLog } from '../logging.js';
import type { LeaseApi, LeaseRecord } from './kube-lease-api.js';

export interface LeaderElectorOptions {
  api: LeaseApi;
  namespace: string;
  /** Lease name; default `agentrail-controller`. */
  name?: string;
  /** This replica's identity (its pod name), written as the holder. */
  identity: string;
  /** How long a lease is valid without renewal; default 15 s. */
  leaseDurationMs?: number;
  /** A leader that has not renewed for this long steps down (before anyone may take over); default 10 s. */
  renewDeadlineMs?: number;
  /** Between attempts to acquire or renew; default 2 s. */
  retryPeriodMs?: number;
  onStartedLeading(): void;
  onStoppedLeading(): void;
  log?: ControllerLog;
  /** Monotonic milliseconds; injectable for tests. */
  clock?: () => number;
}

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, as client-go's
 * leaderelection package does it:
 *
 * - Expiry is judged on this process's own monotonic clock — the time the
 *   Lease record was last seen to change — never on the `renewTime` written by
 *   another machine, so clock skew between replicas does not matter.
 * - Every write carries the resourceVersion read, so two candidates can never
 *   both win: the loser's write is refused with 409.
 * - A leader that cannot renew within `renewDeadlineMs` (< lease duration)
 *   stops leading before a standby can acquire the lease.
 * - `stop()` releases the lease (empty holder), so a standby takes over at its
 *   next attempt instead of after the lease duration.
 */
export class LeaderElector {
  private readonly name: string;
  private readonly durationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly clock: () => number;
  private readonly log: ControllerLog;
  private leading = false;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> = Promise.resolve();
  private observed: { key: string; at: number } | undefined;
  private lastRenew = 0;

  private readonly opts: LeaderElectorOptions;

  constructor(opts: LeaderElectorOptions) {
    this.opts = opts;
    this.name = opts.name ?? 'agentrail-controller';
    this.durationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryMs = opts.retryPeriodMs ?? 2_000;
    this.clock = opts.clock ?? (() => performance.now());
    this.log = opts.log ?? silentLog;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Starts campaigning; returns at once. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops campaigning and releases the lease if held. Idempotent. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.timer);
    await this.loop;
    if (this.leading) {
      await this.release().catch((err: unknown) => this.log.warn('could not release the lease', { code: 'LEASE_RELEASE_FAILED', error: String(err) }));
      this.setLeading(false);
    }
  }

  /**
   * One acquire-or-renew attempt: `held` when this replica holds the lease
   * afterwards, `other` when another replica validly does, `lost` when a write
   * lost a race. Exposed for tests.
   */
  async tryAcquireOrRenew(): Promise<'held' | 'other' | 'lost'> {
    const now = this.clock();
    const wall = new Date();
    const current = await this.opts.api.read(this.opts.namespace, this.name);
    const mine = { holderIdentity: this.opts.identity, leaseDurationSeconds: Math.ceil(this.durationMs / 1000), renewTime: wall.toISOString() };
    if (current === undefined) {
      return (await this.opts.api.create(this.opts.namespace, this.name, { ...mine, acquireTime: wall.toISOString(), leaseTransitions: 0 }, wall)) ? 'held' : 'lost';
    }
    const key = `${current.holderIdentity}|${current.renewTime}|${current.leaseTransitions}|${current.leaseDurationSeconds}`;
    if (this.observed?.key !== key) this.observed = { key, at: now };
    const held = current.holderIdentity === this.opts.identity;
    const free = current.holderIdentity === '' || this.observed.at + current.leaseDurationSeconds * 1000 <= now;
    if (!held && !free) return 'other';
    const next: LeaseRecord = {
      ...current,
      ...mine,
      acquireTime: held ? current.acquireTime : wall.toISOString(),
      leaseTransitions: held ? current.leaseTransitions : current.leaseTransitions + 1,
    };
    if (!(await this.opts.api.update(this.opts.namespace, this.name, next, wall))) return 'lost';
    this.observed = undefined;
    return 'held';
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.loop = this.attempt().finally(() => this.schedule(this.jittered(this.retryMs)));
    }, ms);
  }

  private async attempt(): Promise<void> {
    const lease = `${this.opts.namespace}/${this.name}`;
    let result: 'held' | 'other' | 'lost' | 'error' = 'error';
    try {
      result = await this.tryAcquireOrRenew();
    } catch (err) {
      this.log.warn('lease acquire/renew failed', { code: 'LEASE_FAILED', lease, error: String(err) });
    }
    if (!this.running) return;
    if (result === 'held') {
      this.lastRenew = this.clock();
      if (!this.leading) {
        this.log.info('became the leader', { lease, identity: this.opts.identity });
        this.setLeading(true);
      }
    } else if (this.leading && result === 'other') {
      this.log.error('another replica holds the lease; stepping down', { code: 'LEADERSHIP_LOST', lease });
      this.setLeading(false);
    } else if (this.leading && this.clock() - this.lastRenew >= this.renewDeadlineMs) {
      this.log.error('could not renew the lease in time; stepping down', { code: 'LEADERSHIP_LOST', lease });
      this.setLeading(false);
    }
  }

  private async release(): Promise<void> {
    const current = await this.opts.api.read(this.opts.namespace, this.name);
    if (current === undefined || current.holderIdentity !== this.opts.identity) return;
    const wall = new Date();
    // As client-go: empty holder, 1 s duration — free for the next candidate now.
    await this.opts.api.update(this.opts.namespace, this.name, { ...current, holderIdentity: '', leaseDurationSeconds: 1, renewTime: wall.toISOString() }, wall);
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    if (leading) this.opts.onStartedLeading();
    else this.opts.onStoppedLeading();
  }

  /** ±10 %, so replicas started together do not stay in lockstep. */
  private jittered(ms: number): number {
    return Math.round(ms * (0.9 + Math.random() * 0.2));
  }
}
