import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/**
 * A real OpenID Connect issuer for tests, on a free loopback port: discovery
 * and JWKS over HTTP, an ES256 key made in the test, tokens signed on demand.
 * Failures can be switched on to see how the API treats an identity provider
 * that is down, and fetches are counted to see JWKS caching.
 */
export class TestOidcIssuer {
  /** Switch on to make the endpoint answer 500. */
  readonly fail = { discovery: false, jwks: false };
  readonly fetches = { discovery: 0, jwks: 0 };

  private readonly server: Server;

  private constructor(
    private readonly key: CryptoKey,
    private readonly kid: string,
    jwk: JWK,
  ) {
    this.server = createServer((req, res) => {
      let body: unknown;
      if (req.url === '/.well-known/openid-configuration') {
        this.fetches.discovery += 1;
        body = this.fail.discovery ? undefined : { issuer: this.issuer, jwks_uri: `${this.issuer}/keys`, id_token_signing_alg_values_supported: ['ES256'] };
      } else if (req.url === '/keys') {
        this.fetches.jwks += 1;
        body = this.fail.jwks ? undefined : { keys: [jwk] };
      }
      res.writeHead(body === undefined ? 500 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? { error: 'down' }));
    });
  }

  static async start(): Promise<TestOidcIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const kid = 'test-key-1';
    const self = new TestOidcIssuer(privateKey, kid, { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' });
    await new Promise<void>((resolve) => self.server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  /** `http://127.0.0.1:<port>`, once started. */
  get issuer(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * A signed ID token. Defaults: this issuer, audience `agentrail`, subject
   * `alice`, valid for 5 minutes. `exp`/`iat` are epoch seconds when given.
   */
  async sign(claims: JWTPayload = {}, opts: { key?: CryptoKey; kid?: string } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: this.issuer, aud: 'agentrail', sub: 'alice', iat: now, exp: now + 300, ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: opts.kid ?? this.kid, typ: 'JWT' })
      .sign(opts.key ?? this.key);
  }

  /** A key the issuer never published, to sign tokens that must not verify. */
  static async foreignKey(): Promise<CryptoKey> {
    return (await generateKeyPair('ES256')).privateKey;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
