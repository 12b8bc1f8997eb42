import { AuditStoreError } from './store-error.js';

/** Milliseconds of a query's time bound; refuses an Invalid Date rather than letting it match nothing or everything. */
export function msOf(date: Date | undefined, field: string): number | undefined {
  if (date === undefined) return undefined;
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new AuditStoreError('AUDIT_STORE_QUERY_INVALID', `${field} is not a valid time`);
  return ms;
}
