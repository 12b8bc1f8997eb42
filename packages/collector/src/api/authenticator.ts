import type { IncomingMessage } from 'node:http';
import { AuditApiError } from '../errors.js';

/** Who is reading the audit trail, as the authenticator verified it. */
export interface Principal {
  /** The token's `sub` (OIDC), or a fixed name for the static token. */
  subject: string;
  /** The groups that were checked (empty for the static token). */
  groups: readonly string[];
  method: 'oidc' | 'static-token';
}

/**
 * Decides who may call the audit API. There is no anonymous mode: every
 * implementation either returns a principal or throws.
 *
 * @throws AuditApiError `API_UNAUTHENTICATED` (401) for a missing or invalid
 *   credential, `API_FORBIDDEN` (403) for a valid one that is not allowed,
 *   `API_AUTH_UNAVAILABLE` (503) when the decision cannot be made right now.
 */
export interface Authenticator {
  authenticate(req: IncomingMessage): Promise<Principal>;
}

/** The realm in every `WWW-Authenticate` challenge. */
export const AUTH_REALM = 'agentrail';

/**
 * The bearer token of a request (RFC 6750 §2.1), or a 401 without an error
 * code when there is none: RFC 6750 §3.1 says a request that carries no
 * credentials gets a bare challenge, not `invalid_token`.
 */
export function bearerToken(req: IncomingMessage): string {
  const header = req.headers.authorization;
  if (header === undefined || header === '') {
    throw new AuditApiError('API_UNAUTHENTICATED', 401, 'a bearer token is required (Authorization: Bearer <token>)', {
      headers: { 'www-authenticate': `Bearer realm="${AUTH_REALM}"` },
    });
  }
  // token68 syntax (RFC 7235 §2.1); the scheme name is case-insensitive.
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
  if (m === null) throw invalidToken('the Authorization header is not "Bearer <token>"');
  return m[1] as string;
}

/** 401 for a credential that was presented but does not verify. */
export function invalidToken(message: string, cause?: unknown): AuditApiError {
  return new AuditApiError('API_UNAUTHENTICATED', 401, message, {
    cause,
    headers: { 'www-authenticate': `Bearer realm="${AUTH_REALM}", error="invalid_token"` },
  });
}

/** 403 for a valid credential without the right to read the trail (RFC 6750 §3.1 `insufficient_scope`). */
export function forbidden(message: string): AuditApiError {
  return new AuditApiError('API_FORBIDDEN', 403, message, {
    headers: { 'www-authenticate': `Bearer realm="${AUTH_REALM}", error="insufficient_scope"` },
  });
}
