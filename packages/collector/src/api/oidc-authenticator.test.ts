import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigError } from '@agentrail/core';
import { SignJWT } from 'jose';
import { AuditApiError } from '../errors.js';
import { OidcAuthenticator, type OidcAuthenticatorOptions } from './oidc-authenticator.js';
import { captureLogger, deadUrl } from './testing/api-harness.js';
import { TestOidcIssuer } from './testing/test-oidc-issuer.js';

const { logger, lines, text } = captureLogger();
let issuer: TestOidcIssuer;

beforeAll(async () => {
  issuer = await TestOidcIssuer.start();
});
afterAll(async () => {
  await issuer.close();
});

function auth(opts: Partial<OidcAuthenticatorOptions> = {}): OidcAuthenticator {
  return new OidcAuthenticator({ issuer: issuer.issuer, audience: 'agentrail', allowedGroups: ['auditors'], retryAfterMs: 0, logger, ...opts });
}

function withToken(token: string | undefined): IncomingMessage {
  return { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } } as IncomingMessage;
}

async function refusal(p: Promise<unknown>): Promise<AuditApiError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(AuditApiError);
  return err as AuditApiError;
}

function configProblems(opts: Partial<OidcAuthenticatorOptions>): string[] {
  try {
    auth(opts);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => p.path);
  }
  return [];
}

describe('OidcAuthenticator configuration', () => {
  it('fails closed: no allowed group and no allowAnyAuthenticated is refused', () => {
    expect(configProblems({ allowedGroups: [] })).toEqual(['oidc.allowedGroups']);
    expect(configProblems({ allowedGroups: undefined })).toEqual(['oidc.allowedGroups']);
  });

  it('refuses allowAnyAuthenticated together with groups', () => {
    expect(configProblems({ allowAnyAuthenticated: true })).toEqual(['oidc.allowAnyAuthenticated']);
  });

  it('reports every problem at once', () => {
    expect(configProblems({
      issuer: 'http://idp.example.com', audience: [], algorithms: ['HS256', 'none'], clockToleranceSec: 3600, groupsClaim: '', jwksUri: 'ftp://x', timeoutMs: -1,
    })).toEqual(['oidc.issuer', 'oidc.audience', 'oidc.algorithms', 'oidc.clockToleranceSec', 'oidc.groupsClaim', 'oidc.jwksUri', 'oidc.timeoutMs']);
  });

  it('accepts https issuers and http only on loopback', () => {
    expect(configProblems({ issuer: 'https://idp.example.com/realms/x' })).toEqual([]);
    expect(configProblems({ issuer: 'http://localhost:5556/dex' })).toEqual([]);
  });
});

describe('OidcAuthenticator', () => {
  it('returns the subject and groups of a token in an allowed group', async () => {
    const token = await issuer.sign({ sub: 'carol', groups: ['devs', 'auditors'] });
    await expect(auth().authenticate(withToken(token))).resolves.toEqual({ subject: 'carol', groups: ['devs', 'auditors'], method: 'oidc' });
    expect(lines.some((l) => l['subject'] === 'carol' && l['decision'] === 'allow')).toBe(true);
    expect(text()).not.toContain(token);
  });

  it('reads a configurable groups claim, also as a single string', async () => {
    const token = await issuer.sign({ 'https://agentrail.dev/groups': 'auditors' });
    await expect(auth({ groupsClaim: 'https://agentrail.dev/groups' }).authenticate(withToken(token))).resolves.toMatchObject({ groups: ['auditors'] });
  });

  it('lets any valid token in only when allowAnyAuthenticated says so', async () => {
    const token = await issuer.sign({ sub: 'dave' });
    await expect(auth({ allowedGroups: [], allowAnyAuthenticated: true }).authenticate(withToken(token))).resolves.toMatchObject({ subject: 'dave' });
    const err = await refusal(auth().authenticate(withToken(token)));
    expect([err.status, err.code]).toEqual([403, 'API_FORBIDDEN']);
    expect(lines.some((l) => l['subject'] === 'dave' && l['decision'] === 'deny')).toBe(true);
  });

  it('refuses a token without a subject', async () => {
    const token = await issuer.sign({ sub: undefined, groups: ['auditors'] });
    expect((await refusal(auth().authenticate(withToken(token)))).status).toBe(401);
  });

  it('refuses an HMAC token even when its secret were known (algorithm allow-list)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ iss: issuer.issuer, aud: 'agentrail', sub: 'mallory', groups: ['auditors'], exp: now + 60 })
      .setProtectedHeader({ alg: 'HS256', kid: 'test-key-1' })
      .sign(new TextEncoder().encode('a shared secret of thirty-two bytes!'));
    const err = await refusal(auth().authenticate(withToken(token)));
    expect([err.status, err.message]).toEqual([401, 'the token is signed with an algorithm that is not allowed']);
  });

  it('honours the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await issuer.sign({ groups: ['auditors'], iat: now - 600, exp: now - 20 });
    await expect(auth({ clockToleranceSec: 60 }).authenticate(withToken(token))).resolves.toMatchObject({ subject: 'alice' });
    expect((await refusal(auth({ clockToleranceSec: 0 }).authenticate(withToken(token)))).message).toBe('the token has expired');
  });

  it('uses a configured jwksUri without discovery', async () => {
    const before = issuer.fetches.discovery;
    const token = await issuer.sign({ groups: ['auditors'] });
    await expect(auth({ jwksUri: `${issuer.issuer}/keys` }).authenticate(withToken(token))).resolves.toMatchObject({ subject: 'alice' });
    expect(issuer.fetches.discovery).toBe(before);
  });

  it('answers 503 while the identity provider is down and recovers when it is back', async () => {
    const a = auth({ retryAfterMs: 200 });
    const token = await issuer.sign({ groups: ['auditors'] });
    issuer.fail.discovery = true;
    try {
      const err = await refusal(a.authenticate(withToken(token)));
      expect([err.status, err.code, err.headers['retry-after']]).toEqual([503, 'API_AUTH_UNAVAILABLE', '1']);
      // Within the retry window the provider is not asked again.
      const fetches = issuer.fetches.discovery;
      expect((await refusal(a.authenticate(withToken(token)))).status).toBe(503);
      expect(issuer.fetches.discovery).toBe(fetches);
      expect(lines.some((l) => l['message'] === 'identity provider unavailable' && l['step'] === 'discovery')).toBe(true);
    } finally {
      issuer.fail.discovery = false;
    }
    await new Promise((r) => setTimeout(r, 250));
    await expect(a.authenticate(withToken(token))).resolves.toMatchObject({ subject: 'alice' });
  });

  it('answers 503 when the JWKS cannot be fetched', async () => {
    issuer.fail.jwks = true;
    try {
      const err = await refusal(auth().authenticate(withToken(await issuer.sign({ groups: ['auditors'] }))));
      expect([err.status, err.code]).toEqual([503, 'API_AUTH_UNAVAILABLE']);
      expect(lines.some((l) => l['message'] === 'identity provider unavailable' && l['step'] === 'jwks')).toBe(true);
    } finally {
      issuer.fail.jwks = false;
    }
  });

  it('answers 503 when the issuer does not answer at all', async () => {
    const a = new OidcAuthenticator({ issuer: await deadUrl(), audience: 'agentrail', allowedGroups: ['auditors'], logger });
    expect((await refusal(a.authenticate(withToken(await issuer.sign())))).status).toBe(503);
  });

  it('still answers 401 to a request without a token while the provider is down', async () => {
    const a = new OidcAuthenticator({ issuer: await deadUrl(), audience: 'agentrail', allowedGroups: ['auditors'], logger });
    expect((await refusal(a.authenticate(withToken(undefined)))).status).toBe(401);
  });

  it('fetches the JWKS once for many tokens (jose caches it)', async () => {
    const a = auth();
    const before = issuer.fetches.jwks;
    for (let i = 0; i < 3; i++) await a.authenticate(withToken(await issuer.sign({ groups: ['auditors'] })));
    expect(issuer.fetches.jwks - before).toBe(1);
  });
});
