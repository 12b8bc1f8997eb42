import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { ControllerError } from '../errors.js';

/** The state of a Lease, as the elector reads and writes it. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  /** Opaque: compared for change, never parsed (see LeaderElector on clocks). */
  renewTime: string;
  acquireTime: string;
  leaseTransitions: number;
  /** For the optimistic-concurrency check of the next write. */
  resourceVersion: string;
}

/** What the elector needs of the Lease API (a fake in unit tests). */
export interface LeaseApi {
  read(namespace: string, name: string): Promise<LeaseRecord | undefined>;
  /** Creates the Lease; resolves false when it exists already (someone else won). */
  create(namespace: string, name: string, record: Omit<LeaseRecord, 'resourceVersion'>, now: Date): Promise<boolean>;
  /** Replaces it if `resourceVersion` still matches; resolves false on a conflict. */
  update(namespace: string, name: string, record: LeaseRecord, now: Date): Promise<boolean>;
}

/**
 * `coordination.k8s.io/v1` Leases through client-node. Times go out as
 * `V1MicroTime` (the apiserver requires microsecond RFC 3339); they come back
 * as strings, which is all the elector needs.
 */
export class KubeLeaseApi implements LeaseApi {
  private readonly api: CoordinationV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.api = kubeConfig.makeApiClient(CoordinationV1Api);
  }

  async read(namespace: string, name: string): Promise<LeaseRecord | undefined> {
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ namespace, name });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw wrap('reading', name, err);
    }
    const s = lease.spec ?? {};
    return {
      holderIdentity: s.holderIdentity ?? '',
      leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
      renewTime: timeString(s.renewTime),
      acquireTime: timeString(s.acquireTime),
      leaseTransitions: s.leaseTransitions ?? 0,
      resourceVersion: lease.metadata?.resourceVersion ?? '',
    };
  }

  async create(namespace: string, name: string, record: Omit<LeaseRecord, 'resourceVersion'>, now: Date): Promise<boolean> {
    try {
      await this.api.createNamespacedLease({ namespace, body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: spec(record, now) } });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 409) return false;
      throw wrap('creating', name, err);
    }
  }

  async update(namespace: string, name: string, record: LeaseRecord, now: Date): Promise<boolean> {
    try {
      await this.api.replaceNamespacedLease({
        namespace, name,
        body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace, resourceVersion: record.resourceVersion }, spec: spec(record, now) },
      });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 409) return false;
      throw wrap('updating', name, err);
    }
  }
}

function spec(r: Omit<LeaseRecord, 'resourceVersion'>, now: Date) {
  const time = (t: string) => new V1MicroTime(t === '' ? now.getTime() : Date.parse(t));
  return {
    holderIdentity: r.holderIdentity,
    leaseDurationSeconds: r.leaseDurationSeconds,
    renewTime: time(r.renewTime),
    acquireTime: time(r.acquireTime),
    leaseTransitions: r.leaseTransitions,
  };
}

function timeString(t: unknown): string {
  if (t instanceof Date) return t.toISOString();
  return typeof t === 'string' ? t : '';
}

function wrap(what: string, name: string, err: unknown): ControllerError {
  return new ControllerError('KUBE_API', `${what} Lease ${name}: ${(err as Error).message}`, { cause: err });
}
