// Client-side signing for the benchmark. Requests are signed with
// @smithy/signature-v4 (the AWS SDK's signer, independent of the sidecar's
// code) ahead of time and serialised to raw HTTP/1.1 bytes, so the load
// generator spends no CPU on SigV4 while measuring. A SigV4 header signature
// stays valid for the 15-minute clock-skew window; every phase signs afresh.
// aws-chunked upload bodies are signed chunk by chunk with core's signChunk.

import { createHash, createHmac } from 'node:crypto';
import { Readable } from 'node:stream';
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/protocol-http';
import { deriveSigningKey, signChunk, STREAMING_SIGNED } from '@agentrail/core';

export const REGION = 'us-east-1';
const CHUNK = 64 * 1024;

const bytes = (d) => (typeof d === 'string' ? Buffer.from(d, 'utf8') : Buffer.from(d.buffer, d.byteOffset, d.byteLength));

/** The hash constructor smithy's signer wants, backed by node:crypto. */
class Sha256 {
  constructor(secret) { this.secret = secret; this.reset(); }
  reset() { this.h = this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret)); }
  update(d) { this.h.update(bytes(d)); }
  async digest() { return new Uint8Array(this.h.digest()); }
}

function signer(creds, service) {
  return new SignatureV4({
    credentials: creds, region: REGION, service, sha256: Sha256,
    uriEscapePath: service !== 's3',
    // Like boto3 and the AWS CLI for non-S3 services: no x-amz-content-sha256,
    // so the sidecar reads the (bounded) body and hashes it itself.
    applyChecksum: false,
  });
}

function serialise(method, path, headers, body) {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  head += '\r\n';
  return body === undefined ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** A ~1 KB DynamoDB PutItem body; `i` makes each one distinct. */
export function putItemBody(i, target = 1024) {
  const doc = { TableName: 'bench-table', Item: { pk: { S: `item-${i}` }, sk: { N: String(i) }, payload: { S: '' } }, ReturnValues: 'ALL_OLD' };
  const base = Buffer.byteLength(JSON.stringify(doc));
  doc.Item.payload.S = 'p'.repeat(Math.max(0, target - base));
  return Buffer.from(JSON.stringify(doc));
}

/**
 * `count` pre-signed DynamoDB PutItem calls to http://127.0.0.1:port, each a
 * complete HTTP/1.1 request (head + ~1 KB JSON body) ready to write to a socket.
 */
export async function presignJsonCalls({ port, creds, count, now = new Date() }) {
  const s = signer(creds, 'dynamodb');
  const out = [];
  for (let i = 0; i < count; i++) {
    const body = putItemBody(i);
    const req = new HttpRequest({
      method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port, path: '/',
      headers: {
        host: `127.0.0.1:${port}`,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.PutItem',
        'content-length': String(body.length),
      },
      body,
    });
    const signed = await s.sign(req, { signingDate: now });
    out.push(serialise('POST', '/', { ...signed.headers, 'user-agent': 'agentrail-bench' }, body));
  }
  return out;
}

/** Length of an aws-chunked encoding of `size` bytes in CHUNK-sized signed chunks. */
function chunkedLength(size) {
  const frame = (n) => n.toString(16).length + ';chunk-signature='.length + 64 + 2 + n + 2;
  let total = 0;
  for (let left = size; left > 0; left -= CHUNK) total += frame(Math.min(CHUNK, left));
  return total + frame(0);
}

/**
 * A streamed S3 PutObject of `size` bytes: the signed headers and a body
 * stream generated on the fly (the client never holds the object).
 * mode 'unsigned': UNSIGNED-PAYLOAD; mode 'streaming': STREAMING-AWS4-HMAC-SHA256-PAYLOAD
 * with 64 KiB chunks, each signed (chained from the seed signature).
 */
export async function signedUpload({ port, creds, size, mode, bucket = 'bench-bucket', key = `object-${size}` }) {
  const path = `/${bucket}/${key}`;
  const headers = { host: `127.0.0.1:${port}`, 'content-type': 'application/octet-stream' };
  if (mode === 'unsigned') {
    headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    headers['content-length'] = String(size);
  } else {
    headers['x-amz-content-sha256'] = STREAMING_SIGNED;
    headers['content-encoding'] = 'aws-chunked';
    headers['x-amz-decoded-content-length'] = String(size);
    headers['content-length'] = String(chunkedLength(size));
  }
  const now = new Date();
  const signed = await signer(creds, 's3').sign(new HttpRequest({ method: 'PUT', protocol: 'http:', hostname: '127.0.0.1', port, path, headers }), { signingDate: now });
  const block = Buffer.alloc(CHUNK, 0x61);
  let body;
  if (mode === 'unsigned') {
    body = Readable.from((function* gen() {
      for (let left = size; left > 0; left -= CHUNK) yield left >= CHUNK ? block : block.subarray(0, left);
    })(), { objectMode: false });
  } else {
    const amzDate = signed.headers['x-amz-date'];
    const date = amzDate.slice(0, 8);
    const ctx = {
      seedSignature: /Signature=([0-9a-f]{64})/.exec(signed.headers['authorization'])[1],
      signingKey: deriveSigningKey(creds.secretAccessKey, date, REGION, 's3'),
      amzDate,
      scope: `${date}/${REGION}/s3/aws4_request`,
    };
    body = Readable.from((function* gen() {
      let prev = ctx.seedSignature;
      for (let left = size; left > 0; left -= CHUNK) {
        const data = left >= CHUNK ? block : block.subarray(0, left);
        prev = signChunk(ctx, prev, data);
        yield Buffer.from(`${data.length.toString(16)};chunk-signature=${prev}\r\n`, 'latin1');
        yield data;
        yield Buffer.from('\r\n', 'latin1');
      }
      prev = signChunk(ctx, prev, Buffer.alloc(0));
      yield Buffer.from(`0;chunk-signature=${prev}\r\n\r\n`, 'latin1');
    })(), { objectMode: false });
  }
  return { method: 'PUT', path, headers: signed.headers, body };
}
