/**
 * A minimal OpenID Connect issuer for the test cluster: it serves discovery and
 * the JWKS, which is all kube-apiserver's JWT authenticator fetches. Tokens are
 * minted by the tests themselves with the issuer's private key (see
 * `cluster.ts`), so this server holds no secret and needs no state.
 *
 * Runs as its own process (it must outlive `make e2e-up`):
 *   node oidc-issuer.ts <port> <cert.pem> <key.pem> <issuer-url> <jwks.json>
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [port, certFile, keyFile, issuer, jwksFile] = process.argv.slice(2);
if (!port || !certFile || !keyFile || !issuer || !jwksFile) {
  console.error('usage: oidc-issuer.ts <port> <cert> <key> <issuer-url> <jwks.json>');
  process.exit(2);
}

const discovery = JSON.stringify({
  issuer,
  jwks_uri: `${issuer}/keys`,
  response_types_supported: ['id_token'],
  subject_types_supported: ['public'],
  id_token_signing_alg_values_supported: ['ES256'],
  claims_supported: ['sub', 'groups', 'iss', 'aud', 'exp', 'iat'],
});
const jwks = readFileSync(jwksFile, 'utf8');

const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
  const body = req.url === '/.well-known/openid-configuration' ? discovery : req.url === '/keys' ? jwks : undefined;
  console.log(`${new Date().toISOString()} ${req.method} ${req.url} ${body ? 200 : 404}`);
  res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
  res.end(body ?? '{"error":"not found"}');
});
server.listen(Number(port), '127.0.0.1', () => console.log(`oidc issuer ${issuer} listening`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
