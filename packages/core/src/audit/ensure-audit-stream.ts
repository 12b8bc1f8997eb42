/**
 * Idempotent set-up of the audit stream and the collectors' durable consumer
 * (DESIGN §5). Sidecars and collectors both call it, so core holds it — typed
 * against the few JetStreamManager methods it calls, so core needs no NATS
 * dependency (a `@nats-io/jetstream` JetStreamManager satisfies {@link JetStreamAdmin}).
 */
import { AUDIT_STREAM, AUDIT_SUBJECT_PREFIX, COLLECTOR_CONSUMER, DUPLICATE_WINDOW_MS } from './jetstream-names.js';

const NANOS_PER_MS = 1_000_000;
/** Every audit subject: `agentrail.audit.<cluster>.<namespace>.<session>`. */
export const AUDIT_STREAM_SUBJECTS = `${AUDIT_SUBJECT_PREFIX}.>`;

// JetStream API error codes (nats-server errors.json); stable across releases.
const STREAM_NOT_FOUND = 10059;
const STREAM_NAME_IN_USE = 10058;
const CONSUMER_NOT_FOUND = 10014;
const CONSUMER_NAME_IN_USE = 10013;
const CONSUMER_EXISTS = 10148;

/** The stream settings AgentRail owns. */
export interface AuditStreamSpec {
  name: string;
  subjects: string[];
  storage: 'file';
  retention: 'limits';
  discard: 'new';
  duplicate_window: number;
  max_age: number;
  max_bytes: number;
  num_replicas?: number;
}

/** The consumer settings AgentRail owns. */
export interface CollectorConsumerSpec {
  durable_name: string;
  ack_policy: 'explicit';
  deliver_policy: 'all';
  ack_wait: number;
  max_ack_pending: number;
  max_deliver: number;
}

/** What this module reads back from the server. */
interface StreamConfigView {
  subjects?: string[];
  storage: string;
  retention: string;
  discard: string;
  duplicate_window: number;
  max_age: number;
  max_bytes: number;
  num_replicas: number;
}
interface ConsumerConfigView {
  ack_policy: string;
  deliver_policy: string;
  ack_wait?: number;
  max_ack_pending?: number;
  max_deliver?: number;
}

/** The JetStreamManager methods used here (structural, so core does not import NATS). */
export interface JetStreamAdmin {
  streams: {
    info(name: string): Promise<{ config: StreamConfigView }>;
    add(cfg: AuditStreamSpec): Promise<unknown>;
    update(name: string, cfg: Partial<Omit<AuditStreamSpec, 'name' | 'storage' | 'retention'>>): Promise<unknown>;
  };
  consumers: {
    info(stream: string, name: string): Promise<{ config: ConsumerConfigView }>;
    add(stream: string, cfg: CollectorConsumerSpec): Promise<unknown>;
    update(stream: string, durable: string, cfg: Partial<Omit<CollectorConsumerSpec, 'durable_name' | 'ack_policy' | 'deliver_policy'>>): Promise<unknown>;
  };
}

export interface EnsureResult {
  action: 'created' | 'updated' | 'unchanged';
  /** Settings that differ but cannot be changed on an existing stream/consumer (storage, retention, ack policy …). */
  warnings: string[];
}

export interface AuditStreamOptions {
  /**
   * Messages older than this are removed; 0 keeps them until `maxBytes`.
   * Default 7 days: the stream is a transport, the store keeps the trail.
   * Must be 0 or at least the duplicate window.
   */
  maxAgeMs?: number;
  /** Stream size bound; -1 (default) for none. When full, publishes are refused (sidecars spool) — never discard-old. */
  maxBytes?: number;
  /** Replicas in a NATS cluster; left as it is when unset. */
  replicas?: number;
  /**
   * Whether to change an existing stream whose settings differ. The collector
   * owns the stream's configuration and passes true; sidecars only make sure
   * the stream exists (false, the default), so the two never fight over it.
   */
  updateExisting?: boolean;
}

export interface CollectorConsumerOptions {
  /** Redelivery after this long without an ack; default 30 s. */
  ackWaitMs?: number;
  /** Unacked messages across all collectors; default 10,000. Bounds what a stalled collector holds. */
  maxAckPending?: number;
}

function errorCode(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

const DEFAULT_MAX_AGE_MS = 7 * 24 * 3_600_000;

/** The stream configuration for the given options. */
export function auditStreamSpec(opts: AuditStreamOptions = {}): AuditStreamSpec {
  const maxAgeMs = opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  if (maxAgeMs !== 0 && maxAgeMs < DUPLICATE_WINDOW_MS) {
    // JetStream refuses a duplicate window longer than max age.
    throw new RangeError(`audit stream maxAgeMs must be 0 or at least ${DUPLICATE_WINDOW_MS} ms (the duplicate window), got ${maxAgeMs}`);
  }
  return {
    name: AUDIT_STREAM,
    subjects: [AUDIT_STREAM_SUBJECTS],
    storage: 'file',
    retention: 'limits',
    discard: 'new',
    duplicate_window: DUPLICATE_WINDOW_MS * NANOS_PER_MS,
    max_age: maxAgeMs * NANOS_PER_MS,
    max_bytes: opts.maxBytes ?? -1,
    ...(opts.replicas !== undefined ? { num_replicas: opts.replicas } : {}),
  };
}

/** Creation attempts when concurrent set-ups make the server refuse a creation. */
const CREATE_ATTEMPTS = 5;

/**
 * Creates the audit stream if it is missing; with `updateExisting`, brings an
 * existing one's mutable settings in line. Safe to call concurrently from many
 * processes: a lost creation race falls through to the update path.
 *
 * @example
 * const jsm = await jetstreamManager(nc);
 * const { action, warnings } = await ensureAuditStream(jsm, { updateExisting: true });
 */
export async function ensureAuditStream(jsm: JetStreamAdmin, opts: AuditStreamOptions = {}): Promise<EnsureResult> {
  const spec = auditStreamSpec(opts);
  let current: StreamConfigView | undefined;
  for (let attempt = 0; current === undefined; attempt++) {
    try {
      current = (await jsm.streams.info(spec.name)).config;
    } catch (err) {
      if (errorCode(err) !== STREAM_NOT_FOUND) throw err;
      try {
        await jsm.streams.add(spec);
        return { action: 'created', warnings: [] };
      } catch (addErr) {
        // Another sidecar or collector created it first (with its own settings): read
        // theirs. While another creation is still in progress the server can also
        // answer "error creating store for stream": try again shortly.
        if (errorCode(addErr) !== STREAM_NAME_IN_USE && attempt >= CREATE_ATTEMPTS - 1) throw addErr;
        if (errorCode(addErr) !== STREAM_NAME_IN_USE) await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
      }
    }
  }
  const warnings: string[] = [];
  if (current.storage !== spec.storage) warnings.push(`stream ${spec.name} uses ${current.storage} storage, not ${spec.storage}; it cannot be changed in place`);
  if (current.retention !== spec.retention) warnings.push(`stream ${spec.name} has ${current.retention} retention, not ${spec.retention}; it cannot be changed in place`);
  if (!opts.updateExisting) return { action: 'unchanged', warnings };

  const change: Parameters<JetStreamAdmin['streams']['update']>[1] = {};
  const subjects = current.subjects ?? [];
  if (!subjects.includes(AUDIT_STREAM_SUBJECTS)) change.subjects = [...subjects, AUDIT_STREAM_SUBJECTS];
  if (current.discard !== spec.discard) change.discard = spec.discard;
  if (current.duplicate_window !== spec.duplicate_window) change.duplicate_window = spec.duplicate_window;
  if (current.max_age !== spec.max_age) change.max_age = spec.max_age;
  if (current.max_bytes !== spec.max_bytes) change.max_bytes = spec.max_bytes;
  if (spec.num_replicas !== undefined && current.num_replicas !== spec.num_replicas) change.num_replicas = spec.num_replicas;
  if (Object.keys(change).length === 0) return { action: 'unchanged', warnings };
  await jsm.streams.update(spec.name, change);
  return { action: 'updated', warnings };
}

/** The durable consumer configuration for the given options. */
export function collectorConsumerSpec(opts: CollectorConsumerOptions = {}): CollectorConsumerSpec {
  return {
    durable_name: COLLECTOR_CONSUMER,
    ack_policy: 'explicit',
    deliver_policy: 'all',
    ack_wait: (opts.ackWaitMs ?? 30_000) * NANOS_PER_MS,
    max_ack_pending: opts.maxAckPending ?? 10_000,
    // Redeliver until acked: an audit event is never given up on.
    max_deliver: -1,
  };
}

/**
 * Creates the collectors' durable pull consumer if it is missing, or updates
 * its mutable settings (ack wait, max ack pending, max deliver). The audit
 * stream must exist. Concurrent callers converge on the same configuration.
 */
export async function ensureCollectorConsumer(jsm: JetStreamAdmin, opts: CollectorConsumerOptions = {}): Promise<EnsureResult> {
  const spec = collectorConsumerSpec(opts);
  let current: ConsumerConfigView;
  try {
    current = (await jsm.consumers.info(AUDIT_STREAM, spec.durable_name)).config;
  } catch (err) {
    if (errorCode(err) !== CONSUMER_NOT_FOUND) throw err;
    try {
      await jsm.consumers.add(AUDIT_STREAM, spec);
      return { action: 'created', warnings: [] };
    } catch (addErr) {
      const code = errorCode(addErr);
      if (code !== CONSUMER_EXISTS && code !== CONSUMER_NAME_IN_USE) throw addErr;
      current = (await jsm.consumers.info(AUDIT_STREAM, spec.durable_name)).config;
    }
  }
  const warnings: string[] = [];
  if (current.ack_policy !== spec.ack_policy) warnings.push(`consumer ${spec.durable_name} has ack policy ${current.ack_policy}, not ${spec.ack_policy}; delete it to change that`);
  if (current.deliver_policy !== spec.deliver_policy) warnings.push(`consumer ${spec.durable_name} has deliver policy ${current.deliver_policy}, not ${spec.deliver_policy}`);
  const change: Parameters<JetStreamAdmin['consumers']['update']>[2] = {};
  if (current.ack_wait !== spec.ack_wait) change.ack_wait = spec.ack_wait;
  if (current.max_ack_pending !== spec.max_ack_pending) change.max_ack_pending = spec.max_ack_pending;
  if (current.max_deliver !== spec.max_deliver) change.max_deliver = spec.max_deliver;
  if (Object.keys(change).length === 0) return { action: 'unchanged', warnings };
  await jsm.consumers.update(AUDIT_STREAM, spec.durable_name, change);
  return { action: 'updated', warnings };
}
