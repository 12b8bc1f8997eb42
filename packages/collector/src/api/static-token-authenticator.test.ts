import type { IncomingMessage } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigError } from '@agentrail/core';
import { AuditApiError } from '../errors.js';
import { StaticTokenAuthenticator } from './static-token-authenticator.js';
import { captureLogger } from './testing/api-harness.js';

const TOKEN = 'Zm9vYmFyYmF6cXV4MDEyMzQ1Njc4OWFiY2RlZg==';
const { logger, text } = captureLogger();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agentrail-token-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const withAuthorization = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

describe('StaticTokenAuthenticator', () => {
  it('accepts the token, with the scheme in any case', async () => {
    const auth = new StaticTokenAuthenticator(TOKEN, logger);
    await expect(auth.authenticate(withAuthorization(`Bearer ${TOKEN}`))).resolves.toEqual({ subject: 'static-token', groups: [], method: 'static-token' });
    await expect(auth.authenticate(withAuthorization(`bearer ${TOKEN}`))).resolves.toMatchObject({ method: 'static-token' });
  });

  it.each([
    ['no header', undefined],
    ['another token', `Bearer ${TOKEN.slice(0, -3)}x==`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, 10)}`],
    ['the token without a scheme', TOKEN],
  ])('refuses %s with 401 and never logs the token', async (_what, authorization) => {
    const err = await new StaticTokenAuthenticator(TOKEN, logger).authenticate(withAuthorization(authorization)).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(AuditApiError);
    expect((err as AuditApiError).status).toBe(401);
    expect(text()).not.toContain(TOKEN.slice(0, 10));
  });

  it('refuses short tokens and tokens a header cannot carry', () => {
    expect(() => new StaticTokenAuthenticator('changeme', logger)).toThrow(ConfigError);
    expect(() => new StaticTokenAuthenticator(`${TOKEN} with spaces`, logger)).toThrow(ConfigError);
  });

  it('reads the token from a file without its trailing newline', async () => {
    const file = join(dir, 'token');
    await writeFile(file, `${TOKEN}\n`);
    const auth = await StaticTokenAuthenticator.fromFile(file, logger);
    await expect(auth.authenticate(withAuthorization(`Bearer ${TOKEN}`))).resolves.toMatchObject({ subject: 'static-token' });
    await expect(StaticTokenAuthenticator.fromFile(join(dir, 'missing'), logger)).rejects.toThrow(/cannot read .*ENOENT/);
  });
});
