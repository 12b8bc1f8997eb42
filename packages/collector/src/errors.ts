import { AgentRailError } from '@agentrail/core';

/**
 * Errors of the collector package. `code` is stable: it never changes meaning,
 * so logs, metrics and callers can switch on it.
 */
export class CollectorError extends AgentRailError {}

/**
 * Why the audit API refused a request, or why its client could not get an
 * answer. The server puts the code on the wire (`{ error: { code, message } }`)
 * and `HttpAuditReader` rebuilds the same error from it, so a caller
 * switches on one set of codes whether it reads locally or over HTTP.
 */
export type AuditApiErrorCode =
  /** 400: a query parameter this endpoint does not know (a typo must not silently widen a search). */
  | 'API_UNKNOWN_PARAMETER'
  /** 400: a parameter's value is out of range, repeated, empty or not one of the allowed values. */
  | 'API_INVALID_PARAMETER'
  /** 400: `since`/`until` is neither RFC 3339 nor a relative duration, or `since` is after `until`. */
  | 'API_INVALID_TIME'
  /** 401: no bearer token, or one that does not verify (signature, issuer, audience, expiry). */
  | 'API_UNAUTHENTICATED'
  /** 403: the token is valid but its subject is in none of the allowed groups. */
  | 'API_FORBIDDEN'
  /** 404: no such endpoint. */
  | 'API_NOT_FOUND'
  /** 404: the endpoint exists but the session does not. */
  | 'API_SESSION_NOT_FOUND'
  /** 405: only GET and HEAD are served. */
  | 'API_METHOD_NOT_ALLOWED'
  /** 500: the store failed; details are in the collector's log, never in the response. */
  | 'API_INTERNAL'
  /** 503: the identity provider's discovery document or JWKS could not be fetched. */
  | 'API_AUTH_UNAVAILABLE'
  /** Client side: the collector could not be reached (connection refused, DNS, timeout). */
  | 'API_UNREACHABLE'
  /** Client side: the collector answered with something that is not this API (wrong URL, proxy page). */
  | 'API_BAD_RESPONSE';

const CODES: ReadonlySet<string> = new Set<AuditApiErrorCode>([
  'API_UNKNOWN_PARAMETER', 'API_INVALID_PARAMETER', 'API_INVALID_TIME', 'API_UNAUTHENTICATED', 'API_FORBIDDEN',
  'API_NOT_FOUND', 'API_SESSION_NOT_FOUND', 'API_METHOD_NOT_ALLOWED', 'API_INTERNAL', 'API_AUTH_UNAVAILABLE',
  'API_UNREACHABLE', 'API_BAD_RESPONSE',
]);

/** A request the audit API refused (server side), or a failed call to it (client side). */
export class AuditApiError extends CollectorError {
  declare readonly code: AuditApiErrorCode;
  /** HTTP status the server answered (or would answer) with; 0 when no answer arrived. */
  readonly status: number;
  /** Extra response headers: `WWW-Authenticate` challenges, `Retry-After`, `Allow`. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: AuditApiErrorCode,
    status: number,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(code, message, options);
    this.status = status;
    this.headers = options?.headers ?? {};
  }

  /** Whether `code` is one this version knows, so a client can trust a code read off the wire. */
  static isCode(code: unknown): code is AuditApiErrorCode {
    return typeof code === 'string' && CODES.has(code);
  }
}
