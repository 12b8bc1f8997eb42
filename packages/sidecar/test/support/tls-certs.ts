/**
 * Throwaway TLS material for HTTPS test peers, made inside the test run.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from './processes.js';

/** A PEM key and a self-signed certificate that is also its own CA. */
export interface SelfSignedCert {
  key: string;
  cert: string;
}

/**
 * Makes a self-signed ECDSA P-256 certificate for 127.0.0.1 and localhost with
 * the `openssl` command (Debian's openssl); trust it by passing `cert` as `ca`.
 *
 * @example
 * const { key, cert } = await selfSignedCert();
 * const upstream = await startSigV4Upstream({ ...keys, tls: { key, cert } });
 * const agent = new https.Agent({ ca: cert });
 */
export async function selfSignedCert(commonName = '127.0.0.1'): Promise<SelfSignedCert> {
  const dir = await mkdtemp(join(tmpdir(), 'agentrail-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    const result = await runProcess(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${commonName}`,
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-addext', 'basicConstraints=critical,CA:TRUE',
      ],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeoutMs: 30_000 },
    );
    if (result.code !== 0) throw new Error(`openssl could not make a test certificate: ${result.stderr}`);
    return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
