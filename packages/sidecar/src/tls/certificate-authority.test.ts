import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { CertificateAuthority } from './certificate-authority.js';
import { CertificateAuthorityError } from './errors.js';
import { loadX509 } from './x509-loader.js';

const HOUR = 3_600_000;

/** Serves TLS on 127.0.0.1 with the CA's context for `name`; returns what a verifying client saw. */
async function handshake(
  ca: CertificateAuthority,
  name: string,
  client: { host?: string; servername?: string; trust?: string[] } = {},
): Promise<{ authorized: boolean; error?: Error; peer?: X509Certificate }> {
  const context = await ca.secureContextFor(name);
  const server = net.createServer((socket) => {
    const tlsSocket = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
    tlsSocket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  try {
    return await new Promise((resolve) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port,
        ...(client.servername === undefined ? {} : { servername: client.servername }),
        ca: client.trust ?? [ca.certificatePem],
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(client.host ?? name, cert),
      });
      socket.once('secureConnect', () => {
        resolve({ authorized: socket.authorized, peer: socket.getPeerX509Certificate()! });
        socket.destroy();
      });
      socket.once('error', (error) => resolve({ authorized: false, error }));
    });
  } finally {
    server.close();
  }
}

describe('CertificateAuthority', () => {
  let ca: CertificateAuthority;
  beforeAll(async () => {
    ca = await CertificateAuthority.create();
  });

  it('is a P-256, self-signed, CA:TRUE pathlen:0 certificate limited to keyCertSign and cRLSign', async () => {
    const x509 = await loadX509();
    const cert = new x509.X509Certificate(ca.certificatePem);
    expect(cert.publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    expect(cert.signatureAlgorithm).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-256' } });
    expect(await cert.isSelfSigned()).toBe(true);
    const basic = cert.getExtension(x509.BasicConstraintsExtension)!;
    expect(basic).toMatchObject({ ca: true, pathLength: 0, critical: true });
    const usage = cert.getExtension(x509.KeyUsagesExtension)!;
    expect(usage.critical).toBe(true);
    expect(usage.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(cert.getExtension(x509.SubjectKeyIdentifierExtension)).not.toBeNull();
    expect(ca.subject).toMatch(/^O=AgentRail, CN=AgentRail sidecar CA [0-9a-f]{8}$/);
    expect(new X509Certificate(ca.certificatePem).ca).toBe(true);
  });

  it('is valid for 7 days by default, from a little in the past', () => {
    const now = Date.now();
    expect(ca.notBefore.getTime()).toBeLessThan(now - 30 * 60_000);
    expect(ca.notAfter.getTime() - now).toBeGreaterThan(7 * 24 * HOUR - 60_000);
    expect(ca.notAfter.getTime() - now).toBeLessThanOrEqual(7 * 24 * HOUR);
  });

  it('gets a fresh key and name each time', async () => {
    const other = await CertificateAuthority.create({ validityMs: 2 * HOUR });
    expect(other.subject).not.toBe(ca.subject);
    expect(other.notAfter.getTime() - Date.now()).toBeLessThanOrEqual(2 * HOUR);
  });

  it('issues a leaf that a client trusting the CA accepts for exactly the SNI', async () => {
    const { authorized, peer } = await handshake(ca, 'sts.us-east-1.amazonaws.com', { servername: 'sts.us-east-1.amazonaws.com' });
    expect(authorized).toBe(true);
    expect(peer!.subjectAltName).toBe('DNS:sts.us-east-1.amazonaws.com');
    expect(peer!.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // Node lists the EKU here: serverAuth only
    expect(peer!.ca).toBe(false);
    expect(peer!.checkIssued(new X509Certificate(ca.certificatePem))).toBe(true);
    expect(new Date(peer!.validFrom).getTime()).toBeGreaterThanOrEqual(Math.floor(ca.notBefore.getTime() / 1000) * 1000);
    expect(new Date(peer!.validTo).getTime()).toBeLessThanOrEqual(ca.notAfter.getTime());
    expect(peer!.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
  });

  it('is refused for another name and by a client that does not trust the CA', async () => {
    const wrongName = await handshake(ca, 'sts.us-east-1.amazonaws.com', { host: 's3.amazonaws.com' });
    expect(wrongName.error?.message).toMatch(/does not match|not in the cert's altnames/i);
    const untrusted = await handshake(ca, 'sts.us-east-1.amazonaws.com', { trust: tls.rootCertificates as string[] });
    expect(untrusted.error).toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('issues an iPAddress SAN for an IP literal', async () => {
    const { authorized, peer } = await handshake(ca, '127.0.0.1', { host: '127.0.0.1' });
    expect(authorized).toBe(true);
    expect(peer!.subjectAltName).toBe('IP Address:127.0.0.1');
  });

  it('passes `openssl verify -x509_strict` as a TLS server certificate (strict verifiers such as Python 3.13 agree)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'agentrail-ca-'));
    try {
      const long = `${'a'.repeat(60)}.s3.us-east-1.amazonaws.com`; // longer than a CN may be: empty subject, critical SAN
      for (const name of ['sts.us-east-1.amazonaws.com', long]) {
        const { peer } = await handshake(ca, name);
        await writeFile(path.join(dir, 'ca.pem'), ca.certificatePem);
        await writeFile(path.join(dir, 'leaf.pem'), peer!.toString());
        const { stdout } = await promisify(execFile)('openssl', [
          'verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', path.join(dir, 'ca.pem'), path.join(dir, 'leaf.pem'),
        ]);
        expect(stdout).toMatch(/: OK/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('returns the same context for repeated and equivalent names', async () => {
    const first = await ca.secureContextFor('sqs.us-east-1.amazonaws.com');
    expect(await ca.secureContextFor('sqs.us-east-1.amazonaws.com')).toBe(first);
    expect(await ca.secureContextFor('SQS.us-east-1.AMAZONAWS.com.')).toBe(first);
  });

  it('coalesces concurrent requests for one name into one mint', async () => {
    const fresh = await CertificateAuthority.create();
    const contexts = await Promise.all(Array.from({ length: 20 }, () => fresh.secureContextFor('lambda.eu-west-1.amazonaws.com')));
    expect(new Set(contexts).size).toBe(1);
    expect(fresh.cachedLeafCount).toBe(1);
  });

  it('keeps at most cacheSize contexts, evicting the least recently used', async () => {
    const small = await CertificateAuthority.create({ cacheSize: 2 });
    const a = await small.secureContextFor('a.amazonaws.com');
    const b = await small.secureContextFor('b.amazonaws.com');
    expect(await small.secureContextFor('a.amazonaws.com')).toBe(a); // a is now the most recent
    await small.secureContextFor('c.amazonaws.com');
    expect(small.cachedLeafCount).toBe(2);
    expect(await small.secureContextFor('a.amazonaws.com')).toBe(a);
    expect(await small.secureContextFor('b.amazonaws.com')).not.toBe(b);
  });

  it('re-mints a leaf shortly before it expires', async () => {
    let now = Date.now();
    const clocked = await CertificateAuthority.create({ leafValidityMs: HOUR, now: () => now });
    const first = await clocked.secureContextFor('kms.amazonaws.com');
    now += 50 * 60_000;
    expect(await clocked.secureContextFor('kms.amazonaws.com')).toBe(first);
    now += 6 * 60_000; // within 5 minutes of expiry
    expect(await clocked.secureContextFor('kms.amazonaws.com')).not.toBe(first);
  });

  it('refuses to issue once the CA is about to expire', async () => {
    let now = Date.now();
    const shortLived = await CertificateAuthority.create({ validityMs: 10 * 60_000, now: () => now });
    now += 6 * 60_000;
    await expect(shortLived.secureContextFor('sts.amazonaws.com')).rejects.toMatchObject({ code: 'CA_EXPIRED' });
    expect(shortLived.cachedLeafCount).toBe(0); // a failed mint is not cached
  });

  it.each(['', 'bad host', 'a..b', '-x.example', 'x'.repeat(64) + '.example', 'host:port'])(
    'rejects the servername %j',
    async (name) => {
      await expect(ca.secureContextFor(name)).rejects.toMatchObject({ code: 'CA_INVALID_SERVERNAME' });
    },
  );

  it('rejects bad options with every problem named', async () => {
    const attempt = CertificateAuthority.create({ cacheSize: 0, leafValidityMs: -1 });
    await expect(attempt).rejects.toBeInstanceOf(CertificateAuthorityError);
    await expect(attempt).rejects.toThrow(/leafValidityMs.*cacheSize/s);
  });

  it('bundles the public roots followed by the CA', () => {
    const bundle = ca.bundleWithSystemCAs();
    const blocks = bundle.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
    expect(blocks).toHaveLength(tls.rootCertificates.length + 1);
    expect(`${blocks.at(-1)}\n`).toBe(ca.certificatePem);
    expect(bundle.endsWith('\n')).toBe(true);
  });
});
