import { AgentRailError } from '@agentrail/core';

/**
 * Errors of the controller. `code` is stable: logs and metrics switch on it.
 *
 * - `NATS_UNAVAILABLE`: the policy bucket cannot be reached now (retried with backoff).
 * - `CACHE_NOT_SYNCED`: the GatewayPolicy cache has not finished its first list, so
 *   an absent object cannot be told from a deleted one (retried).
 * - `STATUS_CONFLICT`: the object changed since it was read (retried on the newer version).
 * - `KUBE_API`: any other apiserver error (retried).
 * - `INVALID_KEY`: a namespace/name that cannot be a KV key (a bug; not retried).
 * - `ALREADY_STARTED`: `start()` called twice.
 */
export class ControllerError extends AgentRailError {
  /** Whether retrying may help (all but programming errors). */
  readonly retryable: boolean;

  constructor(code: string, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(code, message, options);
    this.retryable = options?.retryable ?? true;
  }
}
