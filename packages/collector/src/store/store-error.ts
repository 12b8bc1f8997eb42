import { CollectorError } from '../errors.js';

/**
 * Stable codes of the audit store. A code never changes meaning:
 * - `AUDIT_STORE_EVENT_INVALID`: `insert()` got an event the store cannot key
 *   or chain (no ULID id, no session link, malformed hashes). Nothing of the
 *   batch was written; `eventIds` names the offending events so the caller can
 *   set them aside and retry the rest.
 * - `AUDIT_STORE_CURSOR_INVALID`: a search cursor that this store did not issue.
 * - `AUDIT_STORE_QUERY_INVALID`: a query the store cannot run (an Invalid Date bound).
 * - `AUDIT_STORE_SCHEMA_TOO_NEW`: the file was written by a newer AgentRail.
 * - `AUDIT_STORE_CORRUPT`: a stored block cannot be read back.
 * - `AUDIT_STORE_CLOSED`: the store was used after `close()`.
 */
export type AuditStoreErrorCode =
  | 'AUDIT_STORE_EVENT_INVALID'
  | 'AUDIT_STORE_CURSOR_INVALID'
  | 'AUDIT_STORE_QUERY_INVALID'
  | 'AUDIT_STORE_SCHEMA_TOO_NEW'
  | 'AUDIT_STORE_CORRUPT'
  | 'AUDIT_STORE_CLOSED';

/** An error of the audit store, with a stable `code`. */
export class AuditStoreError extends CollectorError {
  declare readonly code: AuditStoreErrorCode;
  /** For `AUDIT_STORE_EVENT_INVALID`: ids (or `#index` when there is no id) of the rejected events. */
  readonly eventIds: readonly string[];

  constructor(code: AuditStoreErrorCode, message: string, options?: { cause?: unknown; eventIds?: readonly string[] }) {
    super(code, message, options);
    this.eventIds = options?.eventIds ?? [];
  }
}
