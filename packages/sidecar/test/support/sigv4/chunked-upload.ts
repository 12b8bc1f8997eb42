/**
 * A signed aws-chunked S3 upload built by hand (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`):
 * the head signed by `@smithy/signature-v4`, each chunk signed with the
 * chained chunk signature AWS documents. Returned as separate pieces, so a
 * test can send some and drop the rest.
 */
import { STREAMING_SIGNED, chunkSignature, sha256Hex, signingKey } from './canonical.js';
import { signRequest, type Credentials } from './signer.js';

/** A chunked upload ready to put on the wire. */
export interface ChunkedUpload {
  method: 'PUT';
  /** Path and query as sent. */
  path: string;
  headers: Record<string, string>;
  /** The framed chunks, the final empty one last. */
  pieces: Buffer[];
  /** The decoded object. */
  payload: Buffer;
}

/**
 * @example
 * const up = await signedChunkedUpload(`${sidecarUrl}/bucket/key`, creds, [Buffer.alloc(8192, 1), Buffer.from('end')]);
 * await sendRaw(sidecarUrl, { method: up.method, path: up.path, headers: up.headers, body: up.pieces });
 */
export async function signedChunkedUpload(
  url: string,
  credentials: Credentials,
  chunks: readonly Buffer[],
  options: { region?: string; signingDate?: Date; /** Sign this x-amz-decoded-content-length instead of the true one. */ decodedLength?: number } = {},
): Promise<ChunkedUpload> {
  const region = options.region ?? 'us-east-1';
  const payload = Buffer.concat(chunks);
  const frame = (data: Buffer, signature: string): Buffer =>
    Buffer.concat([Buffer.from(`${data.length.toString(16)};chunk-signature=${signature}\r\n`), data, Buffer.from('\r\n')]);
  // Every signature is 64 hex digits, so the framed length is known before signing.
  const placeholder = '0'.repeat(64);
  const wireLength = [...chunks, Buffer.alloc(0)].reduce((n, c) => n + frame(c, placeholder).length, 0);
  const signed = await signRequest(
    {
      method: 'PUT',
      url,
      headers: {
        'content-encoding': 'aws-chunked',
        'content-length': String(wireLength),
        'x-amz-content-sha256': STREAMING_SIGNED,
        'x-amz-decoded-content-length': String(options.decodedLength ?? payload.length),
      },
    },
    { service: 's3', region, credentials, ...(options.signingDate === undefined ? {} : { signingDate: options.signingDate }) },
  );
  const amzDate = signed.headers['x-amz-date'] as string;
  const seed = /Signature=([0-9a-f]{64})/.exec(signed.headers['authorization'] ?? '')?.[1];
  if (seed === undefined) throw new Error('the signer produced no Authorization signature');
  const date = amzDate.slice(0, 8);
  const scope = { accessKeyId: credentials.accessKeyId, date, region, service: 's3', scope: `${date}/${region}/s3/aws4_request` };
  const key = signingKey(credentials.secretAccessKey, scope);
  const pieces: Buffer[] = [];
  let previous = seed;
  for (const chunk of [...chunks, Buffer.alloc(0)]) {
    previous = chunkSignature(key, amzDate, scope.scope, previous, sha256Hex(chunk));
    pieces.push(frame(chunk, previous));
  }
  const path = url.replace(/^https?:\/\/[^/]+/, '');
  return { method: 'PUT', path, headers: signed.headers, pieces, payload };
}
