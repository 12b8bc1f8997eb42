/**
 * The SigV4 upstream accepts what real clients sign and refuses what AWS would
 * refuse: wrong secrets, bodies changed after signing, broken chunk chains.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Agent } from 'node:https';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { EXAMPLE_CREDENTIALS, EXAMPLE_TIME_MS, signedChunkedExample, signedTrailerExample } from './aws-chunked-examples.js';
import { boto3, cleanEnv } from './aws-clients.js';
import { sendRaw } from './raw-http.js';
import { presignUrl, signRequest } from './sigv4/signer.js';
import { startSigV4Upstream } from './sigv4-upstream.js';
import type { SigV4Upstream, UpstreamRequest } from './sigv4-upstream.js';
import { selfSignedCert } from './tls-certs.js';

const KEYS = { accessKeyId: 'AKIAUPSTREAMTEST0001', secretAccessKey: randomBytes(30).toString('base64') };
const WRONG = { accessKeyId: KEYS.accessKeyId, secretAccessKey: `${KEYS.secretAccessKey}x` };
const REGION = 'us-east-1';

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function s3Client(endpoint: string, credentials = KEYS, extra: Partial<ConstructorParameters<typeof S3Client>[0]> = {}): S3Client {
  return new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials, maxAttempts: 1, ...extra });
}

/** The requests made since `from`, for assertions on one step. */
function since(upstream: SigV4Upstream, from: number): UpstreamRequest[] {
  return upstream.requests.slice(from);
}

describe('SigV4 upstream', () => {
  let upstream: SigV4Upstream;
  beforeAll(async () => {
    upstream = await startSigV4Upstream(KEYS);
  });
  afterAll(() => upstream?.stop());

  test('stores an object the JS SDK puts and returns it byte for byte', async () => {
    const s3 = s3Client(upstream.endpoint);
    const body = randomBytes(1024 * 1024 + 3);
    const from = upstream.requests.length;
    await s3.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'dir/object one.bin', Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'dir/object one.bin' }));
    const bytes = await got.Body?.transformToByteArray();

    expect(sha256(bytes ?? new Uint8Array())).toBe(sha256(body));
    expect(upstream.object('/bucket/dir/object%20one.bin')?.sha256).toBe(sha256(body));
    const [put, get] = since(upstream, from);
    expect(put).toMatchObject({ method: 'PUT', service: 's3', authMode: 'header', verified: true, bytes: body.length, bodySha256: sha256(body) });
    expect(get).toMatchObject({ method: 'GET', verified: true, status: 200 });
    s3.destroy();
  });

  test('lists, serves byte ranges of, and deletes objects as S3 does', async () => {
    const s3 = s3Client(upstream.endpoint);
    await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: 'logs/a.txt', Body: '0123456789abcdefghij' }));
    await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: 'other.txt', Body: 'x' }));

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'logs/' }));
    expect(listed.Contents?.map((c) => [c.Key, c.Size])).toEqual([['logs/a.txt', 20]]);
    const range = await s3.send(new GetObjectCommand({ Bucket: 'listing', Key: 'logs/a.txt', Range: 'bytes=10-14' }));
    expect(range.ContentRange).toBe('bytes 10-14/20');
    expect(await range.Body?.transformToString()).toBe('abcde');
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'listing', Key: 'logs/a.txt' }))).ContentLength).toBe(20);

    await s3.send(new DeleteObjectCommand({ Bucket: 'listing', Key: 'logs/a.txt' }));
    await expect(s3.send(new GetObjectCommand({ Bucket: 'listing', Key: 'logs/a.txt' }))).rejects.toMatchObject({ name: 'NoSuchKey' });
    s3.destroy();
  });

  test('verifies a streamed JS SDK upload sent aws-chunked with a checksum trailer', async () => {
    const s3 = s3Client(upstream.endpoint);
    const body = randomBytes(3 * 64 * 1024 + 100);
    const from = upstream.requests.length;
    await s3.send(
      new PutObjectCommand({
        Bucket: 'bucket',
        Key: 'streamed',
        Body: Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]),
        ContentLength: body.length,
      }),
    );
    const [put] = since(upstream, from);
    expect(put).toMatchObject({ verified: true, payloadMode: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', bytes: body.length });
    expect(put?.checksums).toHaveProperty('x-amz-checksum-crc32');
    expect(put?.wireBytes).toBeGreaterThan(body.length); // chunk framing was on the wire
    expect(upstream.object('/bucket/streamed')?.sha256).toBe(sha256(body));
    s3.destroy();
  });

  test('reassembles a multipart upload made by @aws-sdk/lib-storage', async () => {
    const s3 = s3Client(upstream.endpoint);
    const body = randomBytes(11 * 1024 * 1024);
    const from = upstream.requests.length;
    await new Upload({ client: s3, params: { Bucket: 'bucket', Key: 'multipart.bin', Body: body }, partSize: 5 * 1024 * 1024, queueSize: 2 }).done();
    expect(upstream.object('/bucket/multipart.bin')).toMatchObject({ bytes: body.length, sha256: sha256(body), parts: 3 });
    // CreateMultipartUpload, three UploadPart, CompleteMultipartUpload.
    expect(since(upstream, from).map((r) => `${r.method} ${r.verified}`)).toEqual(['POST true', 'PUT true', 'PUT true', 'PUT true', 'POST true']);
    s3.destroy();
  });

  test('serves a presigned GET made by the S3 presigner to plain fetch, and refuses it once expired', async () => {
    const s3 = s3Client(upstream.endpoint);
    const body = Buffer.from('presigned body');
    await s3.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'presigned.txt', Body: body }));

    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'bucket', Key: 'presigned.txt' }), { expiresIn: 60 });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    expect(upstream.requests.at(-1)).toMatchObject({ authMode: 'presigned', payloadMode: 'UNSIGNED-PAYLOAD', verified: true });

    // The support signer's presigned URLs are accepted the same way.
    const own = await presignUrl({ method: 'GET', url: `${upstream.endpoint}/bucket/presigned.txt` }, { service: 's3', region: REGION, credentials: KEYS });
    expect((await fetch(own)).status).toBe(200);

    const stale = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'bucket', Key: 'presigned.txt' }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 3_600_000),
    });
    const refused = await fetch(stale);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('<Code>AccessDenied</Code>');
    expect(upstream.requests.at(-1)?.reason).toBe('Request has expired');
    s3.destroy();
  });

  test('answers Lambda Invoke and EKS DescribeCluster, whose paths are signed double-encoded', async () => {
    const lambda = new LambdaClient({ endpoint: upstream.endpoint, region: REGION, credentials: KEYS, maxAttempts: 1 });
    const from = upstream.requests.length;
    // The qualifier's ':' goes on the wire as %3A and into the canonical URI as %253A.
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'agent-tool:live', Payload: Buffer.from('{"ask":"ping"}') }));
    const echoed = JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8')) as Record<string, unknown>;
    expect(echoed).toMatchObject({ ok: true, method: 'POST', service: 'lambda', path: '/2015-03-31/functions/agent-tool%3Alive/invocations' });

    const eks = new EKSClient({ endpoint: upstream.endpoint, region: REGION, credentials: KEYS, maxAttempts: 1 });
    await eks.send(new DescribeClusterCommand({ name: 'demo' }));

    const [invoke, describe] = since(upstream, from);
    expect(invoke).toMatchObject({ service: 'lambda', verified: true, bodySha256: sha256('{"ask":"ping"}') });
    expect(invoke?.canonicalRequest).toContain('/2015-03-31/functions/agent-tool%253Alive/invocations');
    expect(describe).toMatchObject({ method: 'GET', path: '/clusters/demo', service: 'eks', verified: true });
    lambda.destroy();
    eks.destroy();
  });

  test('accepts hand-signed requests with awkward paths and queries, sent verbatim', async () => {
    const cases = [
      // S3 signs the path as sent: encoded space, plus, UTF-8, tilde; repeated and valueless query keys.
      { service: 's3', method: 'PUT', path: '/bucket/a%20b/c%2Bd/%E2%9C%93~x', query: '?tagging&x-id=PutObject&b=2&b=1', body: 'odd key' },
      // Other services sign the normalised path, encoded twice.
      { service: 'lambda', method: 'POST', path: '/2015-03-31/functions/a%20b/../fn%C3%A9//invocations', query: '?Qualifier=v%2B1&empty=', body: '{}' },
    ];
    for (const c of cases) {
      const signed = await signRequest(
        { method: c.method, url: `${upstream.endpoint}${c.path}${c.query}`, body: c.body },
        { service: c.service, region: REGION, credentials: KEYS },
      );
      const res = await sendRaw(upstream.endpoint, { method: c.method, path: `${c.path}${c.query}`, headers: signed.headers, body: Buffer.from(c.body) });
      expect(res.status).toBe(200);
      expect(upstream.requests.at(-1)).toMatchObject({ path: c.path, verified: true });
    }
    expect(upstream.object('/bucket/a%20b/c%2Bd/%E2%9C%93~x')?.sha256).toBe(sha256('odd key'));
  });

  test('stores virtual-hosted-style requests under their bucket, as a proxy keeping the agent\'s Host sends them', async () => {
    const path = '/photos/photo1.jpg';
    const signed = await signRequest(
      { method: 'PUT', url: `http://examplebucket.s3.us-east-1.amazonaws.com${path}`, body: 'jpeg' },
      { service: 's3', region: REGION, credentials: KEYS },
    );
    const res = await sendRaw(upstream.endpoint, { method: 'PUT', path, headers: signed.headers, body: Buffer.from('jpeg') });
    expect(res.status).toBe(200);
    expect(upstream.object('/examplebucket/photos/photo1.jpg')?.sha256).toBe(sha256('jpeg'));
  });

  test('refuses clients signing with the wrong secret, in the error shape of each service', async () => {
    const s3 = s3Client(upstream.endpoint, WRONG);
    await expect(s3.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'nope', Body: 'x' }))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
    expect(upstream.object('/bucket/nope')).toBeUndefined();
    expect(upstream.requests.at(-1)).toMatchObject({ verified: false, code: 'SignatureDoesNotMatch', reason: 'the request signature does not match' });

    const lambda = new LambdaClient({ endpoint: upstream.endpoint, region: REGION, credentials: WRONG, maxAttempts: 1 });
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'agent-tool' }))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      $metadata: { httpStatusCode: 403 },
    });
    s3.destroy();
    lambda.destroy();
  });

  test('refuses bodies changed after signing', async () => {
    const original = 'payload the client signed';
    const altered = 'payload the proxy changed';
    // S3: the declared x-amz-content-sha256 no longer matches the body.
    const put = await signRequest(
      { method: 'PUT', url: `${upstream.endpoint}/bucket/altered`, body: original },
      { service: 's3', region: REGION, credentials: KEYS },
    );
    const s3res = await fetch(put.url, { method: 'PUT', headers: put.headers, body: altered });
    expect(s3res.status).toBe(400);
    expect(await s3res.text()).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
    expect(upstream.object('/bucket/altered')).toBeUndefined();

    // Lambda: the body's hash is part of the signature itself.
    const invoke = await signRequest(
      { method: 'POST', url: `${upstream.endpoint}/2015-03-31/functions/tool/invocations`, body: original },
      { service: 'lambda', region: REGION, credentials: KEYS },
    );
    const lambdaRes = await fetch(invoke.url, { method: 'POST', headers: invoke.headers, body: altered });
    expect(lambdaRes.status).toBe(403);
    expect(lambdaRes.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    expect(upstream.failures().map((f) => f.path)).toEqual(expect.arrayContaining(['/bucket/altered', '/2015-03-31/functions/tool/invocations']));
  });

  test('refuses a checksum that does not match the body (BadDigest)', async () => {
    const signed = await signRequest(
      { method: 'PUT', url: `${upstream.endpoint}/bucket/checksummed`, body: 'abc', headers: { 'x-amz-checksum-crc32': 'AAAAAA==' } },
      { service: 's3', region: REGION, credentials: KEYS },
    );
    const res = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: 'abc' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>BadDigest</Code>');
  });

  test('accepts S3 and Lambda calls made by boto3', async () => {
    const from = upstream.requests.length;
    const result = await boto3<{ put: string; got: string; lambda: Record<string, unknown> }>(
      `
import hashlib
body = bytes(range(256)) * 4096
s3 = boto3.client("s3", endpoint_url="${upstream.endpoint}", config=botocore.config.Config(s3={"addressing_style": "path"}))
s3.put_object(Bucket="bucket", Key="boto3.bin", Body=body)
got = s3.get_object(Bucket="bucket", Key="boto3.bin")["Body"].read()
fn = boto3.client("lambda", endpoint_url="${upstream.endpoint}")
out = fn.invoke(FunctionName="agent-tool", Payload=b'{"from":"boto3"}')
emit({"put": hashlib.sha256(body).hexdigest(), "got": hashlib.sha256(got).hexdigest(),
      "lambda": json.loads(out["Payload"].read())})
`,
      cleanEnv({ AWS_ACCESS_KEY_ID: KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey, AWS_DEFAULT_REGION: REGION }),
    );
    expect(result.stderr).toBe('');
    expect(result.json?.got).toBe(result.json?.put);
    expect(result.json?.lambda).toMatchObject({ ok: true, service: 'lambda' });
    expect(upstream.object('/bucket/boto3.bin')?.sha256).toBe(result.json?.put);
    const [put, , invoke] = since(upstream, from);
    expect(since(upstream, from).every((r) => r.verified)).toBe(true);
    expect(put?.checksums).toHaveProperty('x-amz-checksum-crc32');
    // boto3 sends no x-amz-content-sha256 to Lambda: the signature covers the body's own hash.
    expect(invoke).toMatchObject({ payloadMode: 'body', bodySha256: sha256('{"from":"boto3"}') });
  });
});

describe("SigV4 upstream and AWS's published aws-chunked examples", () => {
  let upstream: SigV4Upstream;
  beforeAll(async () => {
    // The examples were signed at 2013-05-24T00:00:00Z; the upstream's clock says so too.
    upstream = await startSigV4Upstream({ ...EXAMPLE_CREDENTIALS, now: () => EXAMPLE_TIME_MS });
  });
  afterAll(() => upstream?.stop());

  test('accepts the 66,560-byte signed chunked upload with its published seed and chunk signatures', async () => {
    const example = signedChunkedExample();
    const res = await sendRaw(upstream.endpoint, { ...example, body: [example.body.subarray(0, 30_000), example.body.subarray(30_000)] });
    expect(res.status).toBe(200);
    expect(upstream.requests.at(-1)).toMatchObject({ verified: true, payloadMode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', chunks: 3, bytes: 66_560 });
    expect(upstream.object('/examplebucket/chunkObject.txt')?.sha256).toBe(sha256(example.payload));
  });

  test('accepts the signed-trailer example and checks its CRC32C trailer against the data', async () => {
    const example = signedTrailerExample();
    const res = await sendRaw(upstream.endpoint, example);
    expect(res.status).toBe(200);
    expect(upstream.requests.at(-1)).toMatchObject({ verified: true, trailers: { 'x-amz-checksum-crc32c': 'sOO8/Q==' }, checksums: { 'x-amz-checksum-crc32c': 'sOO8/Q==' } });
  });

  test('refuses the example with one byte of the second chunk changed, and keeps no object', async () => {
    await upstream.stop();
    upstream = await startSigV4Upstream({ ...EXAMPLE_CREDENTIALS, now: () => EXAMPLE_TIME_MS });
    const example = signedChunkedExample();
    const body = Buffer.from(example.body);
    body[65_700] = 0x62; // 'b' inside the 1 KiB chunk
    const res = await sendRaw(upstream.endpoint, { ...example, body });
    expect(res.status).toBe(403);
    expect(res.body.toString()).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(upstream.failures()).toEqual([expect.objectContaining({ reason: 'chunk 2 signature does not match' })]);
    expect(upstream.object('/examplebucket/chunkObject.txt')).toBeUndefined();
  });

  test('refuses the example once the clock is past the allowed skew', async () => {
    const late = await startSigV4Upstream({ ...EXAMPLE_CREDENTIALS });
    try {
      const res = await sendRaw(late.endpoint, signedChunkedExample());
      expect(res.status).toBe(403);
      expect(res.body.toString()).toContain('<Code>RequestTimeTooSkewed</Code>');
    } finally {
      await late.stop();
    }
  });
});

describe('SigV4 upstream with temporary credentials', () => {
  test('accepts only requests that carry its session token', async () => {
    const temporary = { ...KEYS, sessionToken: 'token-of-the-upstream-session' };
    const upstream = await startSigV4Upstream(temporary);
    try {
      const withToken = s3Client(upstream.endpoint, temporary);
      await withToken.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'temporary', Body: 'ok' }));
      expect(upstream.requests.at(-1)?.headers['x-amz-security-token']).toBe(temporary.sessionToken);

      const withoutToken = s3Client(upstream.endpoint, KEYS);
      await expect(withoutToken.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'no-token', Body: 'no' }))).rejects.toMatchObject({
        name: 'InvalidToken',
        $metadata: { httpStatusCode: 403 },
      });
      expect(upstream.object('/bucket/no-token')).toBeUndefined();
      withToken.destroy();
      withoutToken.destroy();
    } finally {
      await upstream.stop();
    }
  });
});

describe('SigV4 upstream over HTTPS', () => {
  test('serves the JS SDK with a certificate made for the test', async () => {
    const { key, cert } = await selfSignedCert();
    const upstream = await startSigV4Upstream({ ...KEYS, tls: { key, cert } });
    try {
      expect(upstream.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const s3 = s3Client(upstream.endpoint, KEYS, { requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: cert }) }) });
      await s3.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'tls', Body: 'over tls' }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'tls' }));
      expect(await got.Body?.transformToString()).toBe('over tls');
      expect(upstream.failures()).toEqual([]);
      s3.destroy();
    } finally {
      await upstream.stop();
    }
  });
});
