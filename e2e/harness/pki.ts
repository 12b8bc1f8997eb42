/**
 * Per-run PKI for the test control plane. Every run gets fresh CAs and keys, so
 * nothing secret is checked in and no two runs trust each other.
 *
 * Certificates are made with the `openssl` CLI (OpenSSL 3, part of the base
 * image): Node has no certificate API, and one `openssl req -x509 -CA` call per
 * certificate keeps this file free of ASN.1 code. Signing keys for tokens are
 * plain Node `crypto` key pairs.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** PEM files of one certificate and its key. */
export interface CertFiles {
  certFile: string;
  keyFile: string;
}

/** What to put in a certificate issued by {@link CertificateAuthority.issue}. */
export interface CertRequest {
  /** File name stem: `<name>.crt` and `<name>.key` in the CA's directory. */
  name: string;
  commonName: string;
  /** Subject `O=` values; Kubernetes reads them as the groups of a client cert. */
  organizations?: string[];
  /** DNS names and IP addresses; an entry that parses as an IP goes in as one. */
  hosts?: string[];
  usage: 'server' | 'client' | 'server+client';
}

// Long enough for a `make e2e-up` cluster left running over a working week.
const VALIDITY_DAYS = 30;

// An empty config: without it `req -x509` adds the distribution's v3_ca
// extensions (CA:TRUE) to every leaf.
const OPENSSL_CNF = '[req]\ndistinguished_name = dn\n[dn]\n';

/** One certificate authority whose key lives in the run directory. */
export class CertificateAuthority implements CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
  private readonly dir: string;

  private constructor(dir: string, name: string) {
    this.dir = dir;
    this.certFile = join(dir, `${name}.crt`);
    this.keyFile = join(dir, `${name}.key`);
  }

  /** Creates a self-signed CA as `<dir>/<name>.crt|.key`. */
  static create(dir: string, name: string, commonName: string): CertificateAuthority {
    mkdirSync(dir, { recursive: true });
    const ca = new CertificateAuthority(dir, name);
    openssl(dir, [
      ...newKeyArgs(ca.keyFile, ca.certFile, commonName),
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    ]);
    return ca;
  }

  /** Opens a CA made earlier (by another process of the same run). */
  static open(dir: string, name: string): CertificateAuthority {
    return new CertificateAuthority(dir, name);
  }

  /** Issues a leaf certificate signed by this CA. */
  issue(req: CertRequest): CertFiles {
    const files = { certFile: join(this.dir, `${req.name}.crt`), keyFile: join(this.dir, `${req.name}.key`) };
    const subject = [...(req.organizations ?? []).map((o) => `O=${o}`), `CN=${req.commonName}`];
    const eku = { server: 'serverAuth', client: 'clientAuth', 'server+client': 'serverAuth,clientAuth' }[req.usage];
    const args = [
      ...newKeyArgs(files.keyFile, files.certFile, subject),
      '-CA', this.certFile, '-CAkey', this.keyFile,
      '-addext', 'basicConstraints=critical,CA:FALSE',
      '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment',
      '-addext', `extendedKeyUsage=${eku}`,
    ];
    if (req.hosts?.length) {
      const sans = req.hosts.map((h) => (isIp(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
      args.push('-addext', `subjectAltName=${sans}`);
    }
    openssl(this.dir, args);
    return files;
  }
}

/** An ECDSA P-256 key pair as PEM (PKCS#8 private, SPKI public). */
export interface SigningKeyFiles {
  privateKeyFile: string;
  publicKeyFile: string;
  /** Key id for JWKS `kid`. */
  kid: string;
}

/** Writes a fresh ES256 signing key pair as `<dir>/<name>.key|.pub`. */
export function createSigningKey(dir: string, name: string): SigningKeyFiles {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const files = { privateKeyFile: join(dir, `${name}.key`), publicKeyFile: join(dir, `${name}.pub`) };
  writeFileSync(files.privateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(files.publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  return { ...files, kid: randomBytes(8).toString('hex') };
}

function newKeyArgs(keyFile: string, certFile: string, subject: string | string[]): string[] {
  const parts = Array.isArray(subject) ? subject : [`CN=${subject}`];
  return [
    'req', '-x509', '-new', '-noenc',
    '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-keyout', keyFile, '-out', certFile,
    '-days', String(VALIDITY_DAYS),
    '-subj', '/' + parts.map(escapeRdn).join('/'),
  ];
}

// `/` and `\` would split or escape an RDN in `-subj`.
function escapeRdn(rdn: string): string {
  return rdn.replace(/[\\/]/g, (c) => `\\${c}`);
}

function isIp(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

function openssl(dir: string, args: string[]): void {
  const cnf = join(dir, '.openssl.cnf');
  writeFileSync(cnf, OPENSSL_CNF);
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, OPENSSL_CONF: cnf } });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args.slice(0, 2).join(' ')} failed: ${stderr.trim()}`, { cause: err });
  }
}
