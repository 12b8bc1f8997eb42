import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import tls from 'node:tls';
import type * as X509 from '@peculiar/x509';
import { CertificateAuthorityError } from './errors.js';
import { normalizeHost } from './hostname.js';
import { loadX509 } from './x509-loader.js';

const { subtle } = webcrypto;
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

const HOUR = 3_600_000;
const DEFAULTS = {
  validityMs: 7 * 24 * HOUR,
  leafValidityMs: 24 * HOUR,
  backdateMs: HOUR,
  cacheSize: 1024,
} as const;
/**
 * A cached leaf is re-minted this long before it expires, so a handshake never
 * presents a certificate about to lapse; a CA with less time left than this
 * can no longer issue.
 */
const RENEW_BEFORE_MS = 5 * 60_000;
/** X.520 upper bound for commonName (RFC 5280 Appendix A.1, ub-common-name). */
const MAX_COMMON_NAME = 64;

/** Options of {@link CertificateAuthority.create}; every field has a default. */
export interface CertificateAuthorityOptions {
  /** Lifetime of the CA certificate from now. Default 7 days: the CA lives as long as its pod. */
  validityMs?: number;
  /** Lifetime of each leaf, capped by the CA's own `notAfter`. Default 24 hours. */
  leafValidityMs?: number;
  /** How far `notBefore` is moved into the past to absorb clock skew. Default 1 hour. */
  backdateMs?: number;
  /** Number of leaf secure contexts kept (least recently used are evicted). Default 1024. */
  cacheSize?: number;
  /** Clock in milliseconds since the epoch; injectable for tests. Default `Date.now`. */
  now?: () => number;
}

interface CacheSlot {
  readonly context: Promise<tls.SecureContext>;
  /** Leaf expiry; `Infinity` while the mint is in flight. */
  notAfter: number;
}

/**
 * The sidecar's per-instance certificate authority: it issues, per TLS server
 * name, the leaf certificates with which the sidecar terminates agents' TLS to
 * AWS hosts.
 *
 * The CA key is an ECDSA P-256 WebCrypto key created non-extractable: it exists
 * only in this process's memory and cannot be exported, so it never reaches a
 * disk, a log or a heap snapshot as PEM. Agents trust the CA through
 * {@link CertificateAuthority.bundleWithSystemCAs}. A new CA per pod (and a
 * short validity) limits what a leaked bundle is worth.
 *
 * @example
 * const ca = await CertificateAuthority.create();
 * fs.writeFileSync(bundlePath, ca.bundleWithSystemCAs()); // AWS_CA_BUNDLE, SSL_CERT_FILE, …
 * new tls.TLSSocket(socket, { isServer: true, secureContext: await ca.secureContextFor('sts.amazonaws.com') });
 */
export class CertificateAuthority {
  /** The CA certificate, PEM, newline-terminated: what agents must trust. */
  readonly certificatePem: string;
  /** Subject of the CA certificate, e.g. `O=AgentRail, CN=AgentRail sidecar CA 3f9c2a1b`. */
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;

  readonly #certificate: X509.X509Certificate;
  readonly #privateKey: webcrypto.CryptoKey;
  readonly #authorityKeyId: X509.AuthorityKeyIdentifierExtension;
  readonly #options: Required<CertificateAuthorityOptions>;
  readonly #cache = new Map<string, CacheSlot>();

  private constructor(
    certificate: X509.X509Certificate,
    privateKey: webcrypto.CryptoKey,
    authorityKeyId: X509.AuthorityKeyIdentifierExtension,
    options: Required<CertificateAuthorityOptions>,
  ) {
    this.#certificate = certificate;
    this.#privateKey = privateKey;
    this.#authorityKeyId = authorityKeyId;
    this.#options = options;
    this.certificatePem = `${certificate.toString('pem').trim()}\n`;
    this.subject = certificate.subject;
    this.notBefore = certificate.notBefore;
    this.notAfter = certificate.notAfter;
  }

  /**
   * Creates a new CA: fresh key pair, self-signed certificate with
   * basicConstraints `CA:TRUE, pathlen:0` (critical: it may sign leaves only)
   * and keyUsage `keyCertSign, cRLSign` (critical), as RFC 5280 §4.2.1.3 and
   * §4.2.1.9 require of a CA certificate and as strict verifiers (Python 3.13's
   * default `VERIFY_X509_STRICT`) check.
   */
  static async create(options: CertificateAuthorityOptions = {}): Promise<CertificateAuthority> {
    const resolved = resolveOptions(options);
    const x509 = await loadX509();
    const now = resolved.now();
    const keys = await subtle.generateKey(KEY_ALGORITHM, false, ['sign', 'verify']);
    const subjectKeyId = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto);
    const certificate = await x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: randomSerial(),
        name: [{ O: ['AgentRail'] }, { CN: [`AgentRail sidecar CA ${randomBytes(4).toString('hex')}`] }],
        notBefore: new Date(now - resolved.backdateMs),
        notAfter: new Date(now + resolved.validityMs),
        keys,
        signingAlgorithm: SIGNING_ALGORITHM,
        extensions: [
          new x509.BasicConstraintsExtension(true, 0, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
          subjectKeyId,
        ],
      },
      webcrypto,
    );
    // Leaves carry the same key identifier, so chain builders pair leaf and CA
    // without comparing names (RFC 5280 §4.2.1.1); strict verifiers require it.
    const authorityKeyId = await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey, false, webcrypto);
    return new CertificateAuthority(certificate, keys.privateKey, authorityKeyId, resolved);
  }

  /**
   * The TLS server context for `servername`: a leaf minted for exactly that name
   * (dNSName SAN, or iPAddress SAN for an IP literal), served from a bounded LRU
   * cache. Concurrent calls for one name share one mint. Names are compared in
   * normal form (lowercase, no trailing dot).
   *
   * Rejects with {@link CertificateAuthorityError} `CA_INVALID_SERVERNAME` for a
   * name that is not a DNS name or IP literal, `CA_EXPIRED` once the CA can no
   * longer issue a usable leaf.
   */
  secureContextFor(servername: string): Promise<tls.SecureContext> {
    const host = normalizeHost(servername);
    if (host === undefined) {
      return Promise.reject(
        new CertificateAuthorityError('CA_INVALID_SERVERNAME', `not a DNS name or IP address: ${JSON.stringify(servername)}`),
      );
    }
    const cached = this.#cache.get(host);
    if (cached !== undefined) {
      this.#cache.delete(host);
      if (cached.notAfter - RENEW_BEFORE_MS > this.#options.now()) {
        this.#cache.set(host, cached); // most recently used goes last
        return cached.context;
      }
    }
    const minted = this.#mint(host);
    const slot: CacheSlot = { context: minted.then((leaf) => leaf.context), notAfter: Infinity };
    minted.then(
      (leaf) => {
        slot.notAfter = leaf.notAfter;
      },
      () => {
        // A failed mint must not stay cached: the next handshake retries.
        if (this.#cache.get(host) === slot) this.#cache.delete(host);
      },
    );
    this.#cache.set(host, slot);
    while (this.#cache.size > this.#options.cacheSize) {
      const oldest = this.#cache.keys().next().value as string;
      this.#cache.delete(oldest);
    }
    return slot.context;
  }

  /** Number of leaf contexts currently cached (for metrics and tests). */
  get cachedLeafCount(): number {
    return this.#cache.size;
  }

  /**
   * The bundle agents point `AWS_CA_BUNDLE`, `NODE_EXTRA_CA_CERTS`,
   * `REQUESTS_CA_BUNDLE` and `SSL_CERT_FILE` at: Node's bundled Mozilla roots
   * (`tls.rootCertificates`) followed by this CA. The public roots are needed
   * because `SSL_CERT_FILE` and `REQUESTS_CA_BUNDLE` replace a client's trust
   * store rather than add to it, and tunnelled (non-AWS) hosts still present
   * their real certificates.
   */
  bundleWithSystemCAs(): string {
    return `${[...tls.rootCertificates, this.certificatePem.trim()].join('\n')}\n`;
  }

  async #mint(host: string): Promise<{ context: tls.SecureContext; notAfter: number }> {
    const x509 = await loadX509();
    const now = this.#options.now();
    const caNotAfter = this.notAfter.getTime();
    if (caNotAfter - now <= RENEW_BEFORE_MS) {
      throw new CertificateAuthorityError('CA_EXPIRED', `CA ${this.subject} expires at ${this.notAfter.toISOString()}`);
    }
    const notAfter = Math.min(now + this.#options.leafValidityMs, caNotAfter);
    const notBefore = Math.max(now - this.#options.backdateMs, this.notBefore.getTime());
    // Leaf keys must be extractable: OpenSSL takes the key as PKCS#8. They are
    // per-name and live as long as the cached context.
    const keys = await subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
    const isAddress = isIP(host) !== 0;
    // Names longer than ub-common-name cannot be a CN; an empty subject then
    // requires a critical SAN (RFC 5280 §4.2.1.6).
    const withCommonName = host.length <= MAX_COMMON_NAME;
    const leaf = await x509.X509CertificateGenerator.create(
      {
        serialNumber: randomSerial(),
        subject: withCommonName ? [{ CN: [host] }] : [],
        issuer: this.#certificate.subjectName,
        notBefore: new Date(notBefore),
        notAfter: new Date(notAfter),
        publicKey: keys.publicKey,
        signingKey: this.#privateKey,
        signingAlgorithm: SIGNING_ALGORITHM,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          // ECDHE-ECDSA server keys only sign handshakes (RFC 5480 §3).
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
          new x509.SubjectAlternativeNameExtension([{ type: isAddress ? 'ip' : 'dns', value: host }], !withCommonName),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
          this.#authorityKeyId,
        ],
      },
      webcrypto,
    );
    const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey);
    const context = tls.createSecureContext({
      key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
      cert: leaf.toString('pem'),
      minVersion: 'TLSv1.2',
    });
    return { context, notAfter };
  }
}

function resolveOptions(options: CertificateAuthorityOptions): Required<CertificateAuthorityOptions> {
  const resolved = { ...DEFAULTS, now: Date.now, ...stripUndefined(options) };
  const problems: string[] = [];
  for (const key of ['validityMs', 'leafValidityMs', 'backdateMs'] as const) {
    const value = resolved[key];
    if (!Number.isFinite(value) || value < 0) problems.push(`${key} must be a non-negative number of milliseconds`);
  }
  if (resolved.validityMs <= RENEW_BEFORE_MS || resolved.leafValidityMs <= RENEW_BEFORE_MS) {
    problems.push(`validityMs and leafValidityMs must exceed ${RENEW_BEFORE_MS} ms (the renewal margin)`);
  }
  if (!Number.isInteger(resolved.cacheSize) || resolved.cacheSize < 1) problems.push('cacheSize must be a positive integer');
  if (problems.length > 0) throw new CertificateAuthorityError('CA_INVALID_OPTIONS', problems.join('; '));
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * 128 random bits as a positive DER INTEGER: the top bit cleared so it is not
 * read as negative, the first byte non-zero so the encoding stays minimal
 * (RFC 5280 §4.1.2.2; CA/Browser Forum baseline asks for ≥ 64 bits of entropy).
 */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) || 0x01;
  return bytes.toString('hex');
}
