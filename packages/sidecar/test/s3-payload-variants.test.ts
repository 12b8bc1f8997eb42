/**
 * Every S3 payload form an agent can send, through the sidecar to the
 * SigV4-checking upstream (moto does not check S3 payload hashes or chunk
 * signatures; this upstream does, independently of the product code):
 * signed aws-chunked with and without trailer, unsigned trailer, declared
 * SHA-256, UNSIGNED-PAYLOAD — and forged variants that must never complete
 * upstream.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { jest } from '@jest/globals';
import { awsCliV1, cleanEnv } from './support/aws-clients.js';
import { chunkSignature, parseAuthorization, signingKey, trailerSignature } from './support/sigv4/canonical.js';
import { checksumFor } from './support/sigv4/checksums.js';
import { fetchAgentCredentials } from './support/container-credentials.js';
import { signRequest, type Credentials } from './support/sigv4/signer.js';
import { startSigV4Upstream, type SigV4Upstream } from './support/sigv4-upstream.js';
import { startSidecar, type RunningSidecar } from './fixtures/sidecar-fixture.js';

jest.setTimeout(60_000);

const UPSTREAM_KEYS = { accessKeyId: 'AKIAUPSTREAMCHUNKED1', secretAccessKey: 'only-the-sidecar-knows-this' };
let upstream: SigV4Upstream;
let sidecar: RunningSidecar;
let agent: Credentials;

beforeAll(async () => {
  upstream = await startSigV4Upstream(UPSTREAM_KEYS);
  sidecar = await startSidecar(upstream.endpoint, UPSTREAM_KEYS);
  agent = await fetchAgentCredentials(sidecar.endpoints.credentialsUrl, sidecar.endpoints.rootToken);
});

afterAll(async () => {
  await sidecar?.stop();
  await upstream?.stop();
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Sends a request to the sidecar over plain HTTP and collects the answer. */
function send(path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${sidecar.endpoints.explicitUrl}${path}`, { method: 'PUT', headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

type Variant = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' | 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' | 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

/**
 * Builds an aws-chunked PUT the way the SDKs that use it do (64 KiB chunks), signed
 * with the agent's ephemeral key: seed signature by @smithy/signature-v4, chunk and
 * trailer signatures by the test tree's own implementation.
 */
async function chunkedPut(path: string, payload: Buffer, variant: Variant, opts: { tamperChunk?: number; truncate?: boolean } = {}) {
  const host = new URL(sidecar.endpoints.explicitUrl).host;
  const trailer = variant !== 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
  const chunks: Buffer[] = [];
  for (let i = 0; i < payload.length; i += 65536) chunks.push(payload.subarray(i, i + 65536));
  const headers: Record<string, string> = {
    'x-amz-content-sha256': variant,
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': String(payload.length),
  };
  if (trailer) headers['x-amz-trailer'] = 'x-amz-checksum-crc32c';
  const signed = await signRequest({ method: 'PUT', url: `${sidecar.endpoints.explicitUrl}${path}`, headers }, { service: 's3', region: 'us-east-1', credentials: agent });
  const claim = parseAuthorization(signed.headers['authorization'] as string);
  if (typeof claim === 'string') throw new Error(claim);
  const amzDate = signed.headers['x-amz-date'] as string;
  const key = signingKey(agent.secretAccessKey, claim.credential);
  let prev = claim.signature;
  const parts: Buffer[] = [];
  const crc = checksumFor('x-amz-checksum-crc32c')!;
  chunks.forEach((chunk, i) => {
    crc.update(chunk);
    const data = opts.tamperChunk === i ? Buffer.concat([chunk.subarray(0, -1), Buffer.from('!')]) : chunk;
    if (variant === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') {
      parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), data, Buffer.from('\r\n'));
    } else {
      prev = chunkSignature(key, amzDate, claim.credential.scope, prev, sha256(chunk));
      parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${prev}\r\n`), data, Buffer.from('\r\n'));
    }
  });
  if (variant === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') {
    parts.push(Buffer.from(`0\r\nx-amz-checksum-crc32c:${crc.digestBase64()}\r\n\r\n`));
  } else {
    prev = chunkSignature(key, amzDate, claim.credential.scope, prev, sha256(Buffer.alloc(0)));
    let tail = `0;chunk-signature=${prev}\r\n`;
    if (trailer) {
      const trailers = `x-amz-checksum-crc32c:${crc.digestBase64()}\n`;
      tail += `x-amz-checksum-crc32c:${crc.digestBase64()}\r\nx-amz-trailer-signature:${trailerSignature(key, amzDate, claim.credential.scope, prev, trailers)}\r\n`;
    }
    parts.push(Buffer.from(`${tail}\r\n`));
  }
  let body = Buffer.concat(parts);
  if (opts.truncate) body = body.subarray(0, body.length - 40);
  return send(path, { ...signed.headers, host, 'content-length': String(body.length) }, body);
}

describe('aws-chunked uploads through the sidecar', () => {
  const payload = randomBytes(200_000);

  it.each([
    ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'signed'],
    ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', 'signed-trailer'],
    ['STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'unsigned-trailer'],
  ] as const)('%s arrives re-signed, verified and intact', async (variant, name) => {
    upstream.clearRequests();
    const res = await chunkedPut(`/bucket/${name}`, payload, variant);
    expect(res.status).toBe(200);
    expect(upstream.failures()).toEqual([]);
    const [seen] = upstream.requests;
    expect(seen).toMatchObject({ payloadMode: variant, verified: true, accessKeyId: UPSTREAM_KEYS.accessKeyId, bytes: payload.length, bodySha256: sha256(payload), chunks: 5 });
    if (variant !== 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD') expect(Object.keys(seen!.checksums)).toEqual(['x-amz-checksum-crc32c']);
    expect(upstream.object(`/bucket/${name}`)?.sha256).toBe(sha256(payload));
  });

  it.each([
    ['a tampered chunk', { tamperChunk: 1 }, 403, 'SignatureDoesNotMatch'],
    ['a truncated body', { truncate: true }, 400, 'IncompleteBody'],
  ] as const)('%s is refused and never completes upstream', async (_name, opts, status, code) => {
    upstream.clearRequests();
    const path = `/bucket/forged-${status}`;
    const res = await chunkedPut(path, payload, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', opts);
    expect(res.status).toBe(status);
    expect(res.body).toContain(`<Code>${code}</Code>`);
    expect(upstream.object(path)).toBeUndefined();
  });
});

describe('declared payload hashes and unsigned payloads', () => {
  async function putWith(path: string, body: Buffer, contentSha: string) {
    const host = new URL(sidecar.endpoints.explicitUrl).host;
    const signed = await signRequest({ method: 'PUT', url: `${sidecar.endpoints.explicitUrl}${path}`, headers: { 'x-amz-content-sha256': contentSha } }, { service: 's3', region: 'us-east-1', credentials: agent });
    return send(path, { ...signed.headers, host, 'content-length': String(body.length) }, body);
  }

  it('a body matching its declared SHA-256 is stored; a different body of the same length never completes', async () => {
    const body = randomBytes(300_000);
    expect((await putWith('/bucket/hashed', body, sha256(body))).status).toBe(200);
    expect(upstream.object('/bucket/hashed')?.sha256).toBe(sha256(body));
    const other = randomBytes(300_000);
    const res = await putWith('/bucket/hash-mismatch', other, sha256(body));
    expect(res.status).toBe(400);
    expect(res.body).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
    expect(upstream.object('/bucket/hash-mismatch')).toBeUndefined();
  });

  it('UNSIGNED-PAYLOAD streams through', async () => {
    const body = randomBytes(100_000);
    expect((await putWith('/bucket/unsigned', body, 'UNSIGNED-PAYLOAD')).status).toBe(200);
    expect(upstream.object('/bucket/unsigned')?.sha256).toBe(sha256(body));
  });

  it('AWS CLI v1 in proxy mode uploads with the payload form it chooses, verified upstream', async () => {
    upstream.clearRequests();
    const file = randomBytes(3 * 1024 * 1024);
    const path = `${process.env['TMPDIR'] ?? '/tmp'}/agentrail-cli-upload-${process.pid}`;
    (await import('node:fs')).writeFileSync(path, file);
    const r = await awsCliV1(['s3', 'cp', path, 's3://cli-bucket/object'], cleanEnv(sidecar.agentEnv('proxy')));
    expect(r.stderr).toBe('');
    expect(upstream.failures()).toEqual([]);
    expect(upstream.object('/cli-bucket/object')?.sha256).toBe(sha256(file));
    // botocore over HTTPS sends a CRC trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER) or UNSIGNED-PAYLOAD.
    expect(upstream.requests.map((q) => q.payloadMode)).toEqual([expect.stringMatching(/^(STREAMING-UNSIGNED-PAYLOAD-TRAILER|UNSIGNED-PAYLOAD)$/)]);
  });
});
