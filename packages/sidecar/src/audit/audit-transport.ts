import type { AuditEvent } from '@agentrail/core';

/**
 * Where sealed audit events go. `write()` never blocks the request path: it
 * appends to a durable buffer (the spool, or the local store's write queue)
 * and returns; delivery happens in the background. `accepting()` is false
 * when the buffer is full, and the gateway then fails closed (or, if so
 * configured, open — recorded as an `audit.degraded` event).
 */
export interface AuditTransport {
  /**
   * Appends one sealed event. `text`, when given, is its canonical JSON (what
   * the chainer hashed, hash included), so it need not be serialized again.
   * Throws AuditFullError when the bound is reached.
   */
  write(event: AuditEvent, text?: string): void;
  /** Whether a write would be accepted now. */
  accepting(): boolean;
  /** Waits until everything written so far is delivered (or the timeout passes); resolves whether it all was. */
  flush(timeoutMs?: number): Promise<boolean>;
  /** Flushes within the timeout, then releases resources. Idempotent. */
  close(timeoutMs?: number): Promise<void>;
}

export class AuditFullError extends Error {
  readonly code = 'AUDIT_FULL';
  constructor(message: string) {
    super(message);
    this.name = 'AuditFullError';
  }
}
