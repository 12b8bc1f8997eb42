import type { AuditEvent } from './audit-event.js';

/** The JetStream contract between sidecars and collectors (DESIGN §5). */
export const AUDIT_STREAM = 'AGENTRAIL_AUDIT';
export const AUDIT_SUBJECT_PREFIX = 'agentrail.audit';
/** Durable consumer of the collectors (several collector replicas share it). */
export const COLLECTOR_CONSUMER = 'agentrail-collector';
/**
 * JetStream de-duplicates on `Nats-Msg-Id` within this window. It must cover
 * a sidecar restart that replays its spool, so it is longer than the default 2 min.
 */
export const DUPLICATE_WINDOW_MS = 15 * 60_000;

/** A subject token: no dots, wildcards or whitespace; empty becomes `_`. */
function token(s: string | undefined): string {
  const t = (s ?? '').replace(/[.*>\s]/g, '_');
  return t === '' ? '_' : t.slice(0, 128);
}

/** `agentrail.audit.<cluster>.<namespace>.<session>` */
export function auditSubject(event: Pick<AuditEvent, 'source' | 'session'>): string {
  return `${AUDIT_SUBJECT_PREFIX}.${token(event.source.cluster ?? 'local')}.${token(event.source.namespace)}.${token(event.session.id)}`;
}
