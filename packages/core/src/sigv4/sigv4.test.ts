import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/protocol-http';
import type { ChecksumConstructor } from '@smithy/types';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

/** The SDK's checksum interface over node:crypto (what @smithy/hash-node does). */
class Sha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | Uint8Array) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: string | Uint8Array): void {
    this.h.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.h.digest();
  }
  reset(): void {}
}
import {
  AwsChunkedResigner, checkFreshness, deriveSigningKey, parseQuery, parseSigV4, PayloadHashVerifier,
  signChunk, SigningKeyCache, signRequest, SigV4Error, STREAMING_SIGNED, STREAMING_UNSIGNED_TRAILER, verifySignature,
} from './index.js';

const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const keys = new SigningKeyCache();

/** Turns a header record into node's rawHeaders form. */
function raw(headers: Record<string, string>): string[] {
  return Object.entries(headers).flat();
}

function splitUrl(pathAndQuery: string): { path: string; query: Array<[string, string]> } {
  const q = pathAndQuery.indexOf('?');
  return q === -1
    ? { path: pathAndQuery, query: [] }
    : { path: pathAndQuery.slice(0, q), query: parseQuery(pathAndQuery.slice(q + 1)) };
}

describe('SigV4 verification against AWS published examples', () => {
  // S3 "GET Object" example of the SigV4 header-auth documentation.
  const headers = {
    Host: 'examplebucket.s3.amazonaws.com',
    Range: 'bytes=0-9',
    'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'x-amz-date': '20130524T000000Z',
    Authorization:
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  };
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

  it('accepts the documented signature and refuses a wrong secret or an altered header', () => {
    const auth = parseSigV4(lower, [])!;
    expect(auth).toMatchObject({ accessKeyId: AKID, region: 'us-east-1', service: 's3', mode: 'header' });
    const req = { method: 'GET', path: '/test.txt', query: [], rawHeaders: raw(headers) };
    expect(verifySignature(req, auth, SECRET, lower['x-amz-content-sha256']!, keys)).toBe(auth.signature);
    expect(() => verifySignature(req, auth, 'x' + SECRET, lower['x-amz-content-sha256']!, keys)).toThrow(SigV4Error);
    const altered = { ...req, rawHeaders: raw({ ...headers, Range: 'bytes=0-99' }) };
    expect(() => verifySignature(altered, auth, SECRET, lower['x-amz-content-sha256']!, keys)).toThrow(/does not match/);
  });

  it('refuses requests outside the clock-skew window and expired presigned URLs', () => {
    const auth = parseSigV4(lower, [])!;
    const signedAt = Date.UTC(2013, 4, 24);
    expect(() => checkFreshness(auth, signedAt + 14 * 60_000)).not.toThrow();
    expect(() => checkFreshness(auth, signedAt + 16 * 60_000)).toThrow(expect.objectContaining({ fault: 'ClockSkew' }));
    const presigned = parseSigV4({ host: 'x' }, [
      ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'], ['X-Amz-Credential', `${AKID}/20130524/us-east-1/s3/aws4_request`],
      ['X-Amz-Date', '20130524T000000Z'], ['X-Amz-Expires', '86400'], ['X-Amz-SignedHeaders', 'host'],
      ['X-Amz-Signature', 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404'],
    ])!;
    expect(() => checkFreshness(presigned, signedAt + 86_399_000)).not.toThrow();
    expect(() => checkFreshness(presigned, signedAt + 86_401_000)).toThrow(expect.objectContaining({ fault: 'RequestExpired' }));
  });

  it('verifies the documented presigned URL', () => {
    const url = '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
    const { path, query } = splitUrl(url);
    const auth = parseSigV4({ host: 'examplebucket.s3.amazonaws.com' }, query)!;
    expect(auth.mode).toBe('presigned');
    const req = { method: 'GET', path, query, rawHeaders: ['Host', 'examplebucket.s3.amazonaws.com'] };
    expect(() => verifySignature(req, auth, SECRET, 'UNSIGNED-PAYLOAD', keys)).not.toThrow();
  });

  it.each([
    ['no algorithm', 'Credential=a/b/c/d/aws4_request, SignedHeaders=host, Signature=x', 'MalformedAuthorization'],
    ['SigV4a', 'AWS4-ECDSA-P256-SHA256 Credential=a', 'UnsupportedSigning'],
    ['short credential', 'AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1, SignedHeaders=host, Signature=' + '0'.repeat(64), 'MalformedAuthorization'],
    ['no signature', `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_request, SignedHeaders=host`, 'MalformedAuthorization'],
    ['unsorted headers', `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_request, SignedHeaders=x-amz-date;host, Signature=${'0'.repeat(64)}`, 'MalformedAuthorization'],
    ['host unsigned', `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_request, SignedHeaders=x-amz-date, Signature=${'0'.repeat(64)}`, 'SignatureMismatch'],
    ['scope date differs', `AWS4-HMAC-SHA256 Credential=${AKID}/20130523/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`, 'SignatureMismatch'],
  ])('rejects a malformed Authorization header (%s)', (_name, authorization, fault) => {
    expect(() => parseSigV4({ authorization, 'x-amz-date': '20130524T000000Z' }, [])).toThrow(
      expect.objectContaining({ fault }),
    );
  });

  it('asks for a date when there is none', () => {
    expect(() => parseSigV4({ authorization: `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}` }, [])).toThrow(
      expect.objectContaining({ fault: 'MissingAuthentication' }),
    );
  });
});

describe('SigV4 agrees with the AWS SDK signer (@smithy/signature-v4)', () => {
  const smithy = (service: string, uriEscapePath: boolean) =>
    new SignatureV4({ credentials: { accessKeyId: AKID, secretAccessKey: SECRET, sessionToken: 'tok/en+=' }, region: 'eu-west-1', service, sha256: Sha256 as unknown as ChecksumConstructor, uriEscapePath });

  it.each([
    ['sqs', 'POST', '/', {}, 'Action=SendMessage&MessageBody=hi%20there'],
    ['lambda', 'POST', '/2015-03-31/functions/my%3Afn/invocations', { Qualifier: '$LATEST' }, '{"a":1}'],
    ['execute-api', 'GET', '/a//b/./c/../d%20e', { 'b key': 'v*(x)', a: ['2', '1'] }, ''],
    ['s3', 'PUT', '/bucket/some%20key/%E2%82%AC.txt', { partNumber: '1', uploadId: 'abc~_-.' }, 'data'],
  ])('%s %s %s', async (service, method, path, query, body) => {
    const request = new HttpRequest({
      method, protocol: 'https:', hostname: `${service}.eu-west-1.amazonaws.com`, path, query: query as Record<string, string>,
      headers: { host: `${service}.eu-west-1.amazonaws.com`, 'content-type': 'application/x-amz-json-1.0', 'x-amz-meta-note': '  a   b  ' },
      body,
    });
    const signed = await smithy(service, service !== 's3').sign(request);
    const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const wireQuery = Object.entries(signed.query ?? {}).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x] as [string, string]) : [[k, v as string] as [string, string]]));
    const auth = parseSigV4(headers, wireQuery)!;
    const payloadHash = headers['x-amz-content-sha256'] ?? (await import('./canonical-request.js')).sha256Hex(body);
    const req = { method, path, query: wireQuery, rawHeaders: raw(signed.headers) };
    expect(verifySignature(req, auth, SECRET, payloadHash, keys)).toBe(auth.signature);

    // And our signer produces the same signature as smithy for the same request.
    const out = { method, path, query: wireQuery, headers: { ...headers } };
    delete out.headers['authorization'];
    const ours = signRequest(out, { accessKeyId: AKID, secretAccessKey: SECRET, sessionToken: 'tok/en+=' },
      { region: 'eu-west-1', service, payloadHash, now: new Date(Date.UTC(
        Number(auth.amzDate.slice(0, 4)), Number(auth.amzDate.slice(4, 6)) - 1, Number(auth.amzDate.slice(6, 8)),
        Number(auth.amzDate.slice(9, 11)), Number(auth.amzDate.slice(11, 13)), Number(auth.amzDate.slice(13, 15)))) }, keys);
    const smithyOnOurHeaders = await smithy(service, service !== 's3').sign(new HttpRequest({
      method, protocol: 'https:', hostname: headers['host']!, path, query: query as Record<string, string>,
      headers: Object.fromEntries(Object.entries(out.headers).filter(([k]) => k !== 'authorization' && k !== 'x-amz-date' && k !== 'x-amz-security-token')),
      body,
    }), { signingDate: new Date(amzToMs(ours.amzDate)), unsignableHeaders: new Set(['amz-sdk-request']) });
    expect(smithyOnOurHeaders.headers['authorization']).toBe(out.headers['authorization']);
  });
});

function amzToMs(d: string): number {
  return Date.UTC(Number(d.slice(0, 4)), Number(d.slice(4, 6)) - 1, Number(d.slice(6, 8)), Number(d.slice(9, 11)), Number(d.slice(11, 13)), Number(d.slice(13, 15)));
}

describe('aws-chunked re-signing', () => {
  // The S3 chunked-upload example: 65536 + 1024 bytes of 'a', seed signature and
  // chunk signatures as published in the SigV4 streaming documentation.
  const date = '20130524T000000Z';
  const scope = '20130524/us-east-1/s3/aws4_request';
  const caller = { seedSignature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9', signingKey: deriveSigningKey(SECRET, '20130524', 'us-east-1', 's3'), amzDate: date, scope };
  const published = [
    'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
    '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
    'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
  ];
  const chunk1 = Buffer.alloc(65536, 'a');
  const chunk2 = Buffer.alloc(1024, 'a');
  const body = Buffer.concat([
    Buffer.from(`10000;chunk-signature=${published[0]}\r\n`), chunk1, Buffer.from('\r\n'),
    Buffer.from(`400;chunk-signature=${published[1]}\r\n`), chunk2, Buffer.from('\r\n'),
    Buffer.from(`0;chunk-signature=${published[2]}\r\n\r\n`),
  ]);
  const upstream = { seedSignature: 'f'.repeat(64), signingKey: deriveSigningKey('other-secret', '20130524', 'us-east-1', 's3'), amzDate: date, scope };

  it('computes the published chunk signatures', () => {
    expect(signChunk(caller, caller.seedSignature, chunk1)).toBe(published[0]);
    expect(signChunk(caller, published[0]!, chunk2)).toBe(published[1]);
    expect(signChunk(caller, published[1]!, Buffer.alloc(0))).toBe(published[2]);
  });

  async function resign(input: Buffer, pieceSize: number): Promise<Buffer> {
    const pieces: Buffer[] = [];
    for (let i = 0; i < input.length; i += pieceSize) pieces.push(input.subarray(i, i + pieceSize));
    return buffer(Readable.from(pieces).pipe(new AwsChunkedResigner({ payload: STREAMING_SIGNED, caller, upstream, decodedLength: 66560, maxChunkBytes: 1 << 20 })));
  }

  it.each([1, 7, 4096, 1 << 20])('re-signs every chunk with the upstream key, same length (reads of %i bytes)', async (pieceSize) => {
    const out = await resign(body, pieceSize);
    expect(out.length).toBe(body.length);
    const s1 = signChunk(upstream, upstream.seedSignature, chunk1);
    const s2 = signChunk(upstream, s1, chunk2);
    const s3 = signChunk(upstream, s2, Buffer.alloc(0));
    expect(out.toString('latin1')).toBe(body.toString('latin1').replace(published[0]!, s1).replace(published[1]!, s2).replace(published[2]!, s3));
  });

  it('fails on a tampered chunk, a forged signature or a truncated body', async () => {
    const tampered = Buffer.from(body); tampered[100] = 0x62;
    await expect(resign(tampered, 8192)).rejects.toMatchObject({ fault: 'SignatureMismatch' });
    const forged = Buffer.from(body.toString('latin1').replace(published[1]!, '0'.repeat(64)), 'latin1');
    await expect(resign(forged, 8192)).rejects.toMatchObject({ fault: 'SignatureMismatch' });
    await expect(resign(body.subarray(0, body.length - 10), 8192)).rejects.toMatchObject({ fault: 'IncompleteBody' });
  });

  it('never releases the final chunk of a failed upload', async () => {
    const forgedFinal = Buffer.from(body.toString('latin1').replace(published[2]!, '1'.repeat(64)), 'latin1');
    const seen: Buffer[] = [];
    const t = new AwsChunkedResigner({ payload: STREAMING_SIGNED, caller, upstream, maxChunkBytes: 1 << 20 });
    t.on('data', (d: Buffer) => seen.push(d));
    await expect(new Promise((resolve, reject) => { t.on('error', reject); t.on('end', resolve); t.end(forgedFinal); })).rejects.toMatchObject({ fault: 'SignatureMismatch' });
    expect(Buffer.concat(seen).includes('\r\n0;chunk-signature')).toBe(false);
  });

  it('passes unsigned-trailer bodies through and checks their framing', async () => {
    const unsigned = Buffer.from('5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n');
    const out = await buffer(Readable.from([unsigned]).pipe(new AwsChunkedResigner({ payload: STREAMING_UNSIGNED_TRAILER, decodedLength: 5, maxChunkBytes: 1024 })));
    expect(out.equals(unsigned)).toBe(true);
    await expect(buffer(Readable.from([unsigned]).pipe(new AwsChunkedResigner({ payload: STREAMING_UNSIGNED_TRAILER, decodedLength: 6, maxChunkBytes: 1024 })))).rejects.toMatchObject({ fault: 'IncompleteBody' });
    await expect(buffer(Readable.from([Buffer.from('zz\r\nhello\r\n')]).pipe(new AwsChunkedResigner({ payload: STREAMING_UNSIGNED_TRAILER, maxChunkBytes: 1024 })))).rejects.toMatchObject({ fault: 'IncompleteBody' });
  });
});

describe('PayloadHashVerifier', () => {
  const data = Buffer.alloc(100_000, 'z');
  const sha = (b: Buffer) => import('node:crypto').then((c) => c.createHash('sha256').update(b).digest('hex'));

  it('passes a body whose hash matches and fails one that does not, holding back its end', async () => {
    const good = await sha(data);
    const out = await buffer(Readable.from([data.subarray(0, 50_000), data.subarray(50_000)]).pipe(new PayloadHashVerifier(good, data.length)));
    expect(out.equals(data)).toBe(true);
    const seen: Buffer[] = [];
    const v = new PayloadHashVerifier(good, data.length);
    v.on('data', (d: Buffer) => seen.push(d));
    const bad = Buffer.from(data); bad[99_999] = 0x41;
    await expect(new Promise((resolve, reject) => { v.on('error', reject); v.on('end', resolve); v.write(bad.subarray(0, 50_000)); v.end(bad.subarray(50_000)); })).rejects.toMatchObject({ fault: 'PayloadHashMismatch' });
    expect(Buffer.concat(seen).length).toBeLessThan(data.length);
  });
});
