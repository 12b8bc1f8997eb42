import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { ConfigError, type Logger } from '@agentrail/core';
import { bearerToken, invalidToken, type Authenticator, type Principal } from './authenticator.js';

/** 32 characters is 192 bits as base64 — guessing is out, and a short placeholder like `changeme` is refused. */
export const MIN_STATIC_TOKEN_LENGTH = 32;

/**
 * One shared bearer token, for local and development use (`--api-token-file`):
 * whoever holds it may read the trail. Use OIDC wherever people share a
 * collector. The comparison runs over SHA-256 digests with `timingSafeEqual`,
 * so neither the token's content nor its length leaks through timing.
 *
 * @example
 * const auth = await StaticTokenAuthenticator.fromFile('/etc/agentrail/api-token', logger);
 */
export class StaticTokenAuthenticator implements Authenticator {
  private readonly digest: Buffer;
  private readonly logger: Logger;

  /** @throws ConfigError when the token is shorter than {@link MIN_STATIC_TOKEN_LENGTH} or has characters a bearer token cannot carry. */
  constructor(token: string, logger: Logger) {
    if (token.length < MIN_STATIC_TOKEN_LENGTH) {
      throw new ConfigError([{ path: 'apiToken', message: `must be at least ${MIN_STATIC_TOKEN_LENGTH} characters (try: openssl rand -base64 32)` }]);
    }
    if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) {
      throw new ConfigError([{ path: 'apiToken', message: 'may hold only letters, digits and -._~+/ (base64 or base64url), optionally ending in =' }]);
    }
    this.digest = sha256(token);
    this.logger = logger.child({ component: 'audit-api-auth' });
  }

  /** Reads the token from a file; surrounding whitespace (the trailing newline of `echo`) is not part of it. */
  static async fromFile(path: string, logger: Logger): Promise<StaticTokenAuthenticator> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new ConfigError([{ path: 'apiTokenFile', message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
    }
    return new StaticTokenAuthenticator(text.trim(), logger);
  }

  async authenticate(req: IncomingMessage): Promise<Principal> {
    const token = bearerToken(req);
    if (!timingSafeEqual(sha256(token), this.digest)) {
      this.logger.info('audit api access denied', { decision: 'deny', reason: 'wrong static token' });
      throw invalidToken('the token is not accepted');
    }
    return { subject: 'static-token', groups: [], method: 'static-token' };
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
