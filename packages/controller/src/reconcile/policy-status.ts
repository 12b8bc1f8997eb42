import { isDeepStrictEqual } from 'node:util';

/** A status condition, as metav1.Condition defines it. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  /** RFC 3339; changes only when `status` flips. */
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** The part of a GatewayPolicy's status this controller owns. */
export interface PolicyStatus {
  conditions?: Condition[];
  observedGeneration?: number;
  /** Number of rules in the observed generation. */
  rules?: number;
}

/** Reasons of the Ready condition (a fixed vocabulary: alerts and scripts match on them). */
export const READY = 'Ready';
export const REASON_COMPILED = 'Compiled';
export const REASON_INVALID = 'Invalid';

/** metav1.Condition caps `message` at 32768; keep kubectl output readable well below that. */
export const MAX_MESSAGE_LENGTH = 4096;

/**
 * Sets condition `next` in `conditions` (same `type` replaced in place, others kept).
 * `lastTransitionTime` is kept while the status stays the same and set to `now`
 * when it flips — the rule cert-manager's and apimachinery's SetStatusCondition follow.
 */
export function setCondition(conditions: readonly Condition[] | undefined, next: Omit<Condition, 'lastTransitionTime'>, now: Date): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const prev = i >= 0 ? list[i] : undefined;
  const lastTransitionTime = prev !== undefined && prev.status === next.status && prev.lastTransitionTime
    ? prev.lastTransitionTime
    : rfc3339(now);
  const merged: Condition = { ...next, lastTransitionTime };
  if (i >= 0) list[i] = merged;
  else list.push(merged);
  return list;
}

/**
 * The status a policy should have after one reconcile: the Ready condition and
 * the top-level `observedGeneration` and `rules`, merged into what it has.
 */
export function desiredStatus(
  current: PolicyStatus | undefined,
  ready: { status: 'True' | 'False'; reason: string; message: string },
  generation: number,
  rules: number,
  now: Date,
): PolicyStatus {
  return {
    conditions: setCondition(current?.conditions, { type: READY, ...ready, message: truncate(ready.message), observedGeneration: generation }, now),
    observedGeneration: generation,
    rules,
  };
}

/**
 * Whether `next` differs from `current` in the fields this controller owns.
 * Writing only then keeps a resync free of apiserver writes — and of the
 * watch event each write would cause.
 */
export function statusChanged(current: PolicyStatus | undefined, next: PolicyStatus): boolean {
  const own = (s: PolicyStatus | undefined) => JSON.parse(JSON.stringify({
    conditions: s?.conditions ?? [],
    observedGeneration: s?.observedGeneration,
    rules: s?.rules,
  })) as unknown;
  return !isDeepStrictEqual(own(current), own(next));
}

/** Second precision, as the apiserver stores metav1.Time (so a read-back compares equal). */
function rfc3339(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

function truncate(message: string): string {
  if (message.length <= MAX_MESSAGE_LENGTH) return message;
  return `${message.slice(0, MAX_MESSAGE_LENGTH - 15)} … (truncated)`;
}
