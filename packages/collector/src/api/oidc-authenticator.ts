import type { IncomingMessage } from 'node:http';
import { ConfigError, type Logger } from '@agentrail/core';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AuditApiError } from '../errors.js';
import { bearerToken, forbidden, invalidToken, type Authenticator, type Principal } from './authenticator.js';

/** Asymmetric JWS algorithms only: a JWKS publishes public keys, so an HMAC or `none` token can never be the issuer's. */
const SUPPORTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Settings of {@link OidcAuthenticator}. */
export interface OidcAuthenticatorOptions {
  /** The issuer URL exactly as in the tokens' `iss`; discovery is `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  /** Accepted `aud` values (the client id the tokens are minted for). */
  audience: string | readonly string[];
  /** JWS algorithms accepted (default RS256, ES256). */
  algorithms?: readonly string[];
  /** Allowed clock skew for `exp`/`nbf`/`iat`, in seconds (default 30, at most 300). */
  clockToleranceSec?: number;
  /** Claim that holds the user's groups, a string array or a string (default `groups`). Taken literally: `https://example.com/groups` is one claim name. */
  groupsClaim?: string;
  /** Groups whose members may read the audit trail. Required unless `allowAnyAuthenticated`. */
  allowedGroups?: readonly string[];
  /** Let every user with a valid token read the trail. Must be said explicitly; it never follows from an empty group list. */
  allowAnyAuthenticated?: boolean;
  /** Skip discovery and use this JWKS URL. */
  jwksUri?: string;
  /** Timeout of each discovery and JWKS fetch (default 5,000 ms). */
  timeoutMs?: number;
  /** After the identity provider failed, answer 503 this long before asking it again (default 10,000 ms). */
  retryAfterMs?: number;
  logger: Logger;
}

/**
 * Authenticates audit API callers with OpenID Connect ID tokens
 * (`Authorization: Bearer <JWT>`): the signature against the issuer's JWKS
 * (found by discovery, cached and refreshed on an unknown `kid` by jose), then
 * `iss`, `aud`, `exp`/`nbf` and an algorithm allow-list, then membership in an
 * allowed group. Fails closed: a configuration that names no group and does
 * not say `allowAnyAuthenticated` is refused at construction.
 *
 * An unreachable identity provider is a 503 with `Retry-After`, not a 401:
 * callers with good tokens should retry, not go and fetch new ones.
 *
 * @example
 * const auth = new OidcAuthenticator({
 *   issuer: 'https://dex.example.com', audience: 'agentrail',
 *   allowedGroups: ['platform-auditors'], logger,
 * });
 */
export class OidcAuthenticator implements Authenticator {
  private readonly issuer: string;
  private readonly audience: string[];
  private readonly algorithms: string[];
  private readonly clockToleranceSec: number;
  private readonly groupsClaim: string;
  private readonly allowedGroups: ReadonlySet<string> | 'any';
  private readonly jwksUri: string | undefined;
  private readonly timeoutMs: number;
  private readonly retryAfterMs: number;
  private readonly logger: Logger;
  private keys: Promise<JWTVerifyGetKey> | undefined;
  /** Set while the identity provider is considered down, so an outage is not turned into a request storm against it. */
  private failure: { until: number; error: AuditApiError } | undefined;

  /** @throws ConfigError listing every problem with the options. */
  constructor(opts: OidcAuthenticatorOptions) {
    const problems: { path: string; message: string }[] = [];
    const problem = (path: string, message: string): void => void problems.push({ path: `oidc.${path}`, message });
    if (!isFetchableUrl(opts.issuer)) problem('issuer', 'must be an https URL (http only for localhost)');
    const audience = typeof opts.audience === 'string' ? [opts.audience] : [...opts.audience];
    if (audience.length === 0 || audience.some((a) => a === '')) problem('audience', 'must name at least one non-empty audience');
    const algorithms = [...(opts.algorithms ?? ['RS256', 'ES256'])];
    const unsupported = algorithms.filter((a) => !SUPPORTED_ALGORITHMS.includes(a));
    if (algorithms.length === 0) problem('algorithms', 'must allow at least one algorithm');
    if (unsupported.length > 0) problem('algorithms', `${unsupported.join(', ')} not allowed; use asymmetric ones: ${SUPPORTED_ALGORITHMS.join(', ')}`);
    const tolerance = opts.clockToleranceSec ?? 30;
    if (!Number.isInteger(tolerance) || tolerance < 0 || tolerance > 300) problem('clockToleranceSec', 'must be a whole number of seconds from 0 to 300');
    if (opts.groupsClaim === '') problem('groupsClaim', 'must not be empty');
    const groups = opts.allowedGroups ?? [];
    if (groups.some((g) => g === '')) problem('allowedGroups', 'must not contain empty names');
    if (opts.allowAnyAuthenticated === true && groups.length > 0) {
      problem('allowAnyAuthenticated', 'contradicts allowedGroups; set one of them');
    } else if (opts.allowAnyAuthenticated !== true && groups.length === 0) {
      problem('allowedGroups', 'name at least one group allowed to read the audit trail, or set allowAnyAuthenticated: true');
    }
    if (opts.jwksUri !== undefined && !isFetchableUrl(opts.jwksUri)) problem('jwksUri', 'must be an https URL (http only for localhost)');
    for (const key of ['timeoutMs', 'retryAfterMs'] as const) {
      const v = opts[key];
      if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 600_000)) problem(key, 'must be a whole number of milliseconds from 0 to 600000');
    }
    if (problems.length > 0) throw new ConfigError(problems);
    this.issuer = opts.issuer;
    this.audience = audience;
    this.algorithms = algorithms;
    this.clockToleranceSec = tolerance;
    this.groupsClaim = opts.groupsClaim ?? 'groups';
    this.allowedGroups = opts.allowAnyAuthenticated === true ? 'any' : new Set(groups);
    this.jwksUri = opts.jwksUri;
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.retryAfterMs = opts.retryAfterMs ?? 10_000;
    this.logger = opts.logger.child({ component: 'audit-api-auth' });
  }

  async authenticate(req: IncomingMessage): Promise<Principal> {
    const token = bearerToken(req);
    if (this.failure !== undefined && Date.now() < this.failure.until) throw this.failure.error;
    const payload = await this.verify(token);
    const subject = payload.sub;
    if (typeof subject !== 'string' || subject === '') {
      this.logger.info('audit api access denied', { decision: 'deny', reason: 'no subject' });
      throw invalidToken('the token has no subject');
    }
    const groups = groupsOf(payload[this.groupsClaim]);
    if (this.allowedGroups !== 'any' && !groups.some((g) => (this.allowedGroups as ReadonlySet<string>).has(g))) {
      this.logger.info('audit api access denied', { subject, decision: 'deny', reason: 'no allowed group' });
      throw forbidden(`${subject} is in none of the groups allowed to read the audit trail`);
    }
    this.logger.debug('audit api access allowed', { subject, decision: 'allow' });
    return { subject, groups, method: 'oidc' };
  }

  private async verify(token: string): Promise<JWTPayload> {
    const getKey = await this.keyGetter();
    try {
      const { payload } = await jwtVerify(token, getKey, {
        issuer: this.issuer,
        audience: this.audience,
        algorithms: this.algorithms,
        clockTolerance: this.clockToleranceSec,
        // Without this a token that carries no exp would never expire.
        requiredClaims: ['exp', 'sub'],
      });
      return payload;
    } catch (err) {
      if (!(err instanceof joseErrors.JOSEError)) throw err;
      const reason = rejectionReason(err);
      this.logger.info('audit api access denied', { decision: 'deny', reason, code: err.code });
      throw invalidToken(reason, err);
    }
  }

  /** The JWKS key getter, after discovery. Concurrent first requests share one discovery. */
  private keyGetter(): Promise<JWTVerifyGetKey> {
    if (this.keys !== undefined) return this.keys;
    const pending = this.discoverJwksUri().then((uri) => {
      const remote = createRemoteJWKSet(new URL(uri), { timeoutDuration: this.timeoutMs });
      const getKey: JWTVerifyGetKey = async (header, token) => {
        try {
          return await remote(header, token);
        } catch (err) {
          // An unknown kid or an ambiguous key is the token's problem (401); anything
          // else here — fetch failed, timed out, bad JSON — is the provider's (503).
          if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) throw err;
          throw this.unavailable('jwks', uri, err);
        }
      };
      return getKey;
    }, (err: unknown) => {
      if (this.keys === pending) this.keys = undefined;
      throw err instanceof AuditApiError ? err : this.unavailable('discovery', this.discoveryUrl(), err);
    });
    this.keys = pending;
    return pending;
  }

  private async discoverJwksUri(): Promise<string> {
    if (this.jwksUri !== undefined) return this.jwksUri;
    const url = this.discoveryUrl();
    const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), redirect: 'error', headers: { accept: 'application/json' } });
    if (res.status !== 200) throw new Error(`discovery answered HTTP ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    // OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was fetched for.
    if (doc.issuer !== this.issuer) throw new Error(`discovery names issuer ${JSON.stringify(doc.issuer)}, not ${this.issuer}`);
    if (typeof doc.jwks_uri !== 'string' || !isFetchableUrl(doc.jwks_uri)) throw new Error('discovery has no usable jwks_uri');
    return doc.jwks_uri;
  }

  private discoveryUrl(): string {
    return `${this.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  }

  private unavailable(step: 'discovery' | 'jwks', url: string, cause: unknown): AuditApiError {
    const retryAfterSec = Math.max(1, Math.ceil(this.retryAfterMs / 1000));
    const error = new AuditApiError('API_AUTH_UNAVAILABLE', 503, 'the identity provider cannot be reached to check the token; try again later', {
      cause,
      headers: { 'retry-after': String(retryAfterSec) },
    });
    this.failure = { until: Date.now() + this.retryAfterMs, error };
    this.logger.error('identity provider unavailable', { code: error.code, step, url, reason: describe(cause) });
    return error;
  }
}

/** What the caller is told about a rejected token: which check failed, never the token. */
function rejectionReason(err: InstanceType<typeof joseErrors.JOSEError>): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `the token's ${err.claim} claim is not accepted`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm that is not allowed';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return "the token's signing key is not in the issuer's key set";
  return 'the token is not a valid JWT';
}

function groupsOf(claim: unknown): string[] {
  if (typeof claim === 'string') return [claim];
  if (Array.isArray(claim)) return claim.filter((g): g is string => typeof g === 'string');
  return [];
}

/** Tokens and keys must not travel in clear text, except to a provider on this machine (development, tests). */
function isFetchableUrl(s: string): boolean {
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return false;
  }
  if (url.search !== '' || url.hash !== '') return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname));
}

function describe(err: unknown): string {
  // Duck-typed: fetch's errors can come from another realm (a VM context), where instanceof Error fails.
  const e = err as { message?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  if (typeof e?.message !== 'string') return String(err);
  // undici reports "fetch failed" and keeps the reason (ECONNREFUSED, ENOTFOUND …) in cause.
  const cause = e.cause?.code ?? e.cause?.message;
  return typeof cause === 'string' ? `${e.message}: ${cause}` : e.message;
}
