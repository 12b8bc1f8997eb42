import type { AuditEvent, DecisionAction } from '@agentrail/core';
import type { Style } from './style.js';

/**
 * Short renderings of an event's fields for tables and the session tree.
 * Non-call events (`session.started`, `audit.degraded` …) render their type
 * where a call would show its operation.
 */

/**
 * `s3:ListObjectsV2`. The schema stores `service:Operation`; a bare operation
 * name is prefixed with the service so both read the same.
 */
export function formatOperation(event: AuditEvent): string {
  if (event.type !== 'aws.call') return event.type;
  const { service, operation } = event.aws;
  return operation.includes(':') ? operation : `${service}:${operation}`;
}

/** The first resource, `(+N)` for the rest; `-` for none (non-call events). */
export function formatResources(event: AuditEvent): string {
  if (event.type !== 'aws.call') return '-';
  const [first, ...rest] = event.aws.resources;
  if (first === undefined) return '*';
  return rest.length === 0 ? first : `${first} (+${rest.length})`;
}

/** `Allow`, `Deny`, `RequireApproval`; `-` for non-call events. */
export function formatDecision(event: AuditEvent): string {
  return event.type === 'aws.call' ? event.decision.action : '-';
}

/** `200`, `403 AccessDenied`; for other events what matters about them (`ended: reason`, `3 unrecorded`). */
export function formatStatus(event: AuditEvent): string {
  switch (event.type) {
    case 'aws.call':
      return event.response.errorCode === undefined ? String(event.response.status) : `${event.response.status} ${event.response.errorCode}`;
    case 'session.ended':
      return event.reason;
    case 'audit.degraded':
      return `${event.unrecordedCalls} call${event.unrecordedCalls === 1 ? '' : 's'} unrecorded: ${event.reason}`;
    default:
      return '';
  }
}

/** `12 ms`, `0.4 ms`, `1.3 s`. */
export function formatLatency(ms: number): string {
  if (ms < 10) return `${Math.round(ms * 10) / 10} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${Math.round(ms / 100) / 10} s`;
}

/** Deny red, RequireApproval yellow; Allow plain (it is the common case). */
export function decisionStyle(action: DecisionAction | string): Style | undefined {
  if (action === 'Deny') return 'red';
  if (action === 'RequireApproval') return 'yellow';
  return undefined;
}

/** Errors red (5xx) or yellow (4xx); degraded audit red. */
export function statusStyle(event: AuditEvent): Style | undefined {
  if (event.type === 'audit.degraded') return 'red';
  if (event.type !== 'aws.call') return 'dim';
  if (event.response.status >= 500) return 'red';
  if (event.response.status >= 400) return 'yellow';
  return undefined;
}
