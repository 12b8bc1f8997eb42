/**
 * The body half of the test upstream's checks: everything that needs the bytes.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { AwsChunkedDecoder } from './aws-chunked.js';
import { parseQuery } from './canonical.js';
import { CHECKSUM_HEADERS, checksumFor } from './checksums.js';
import type { Checksum } from './checksums.js';
import type { ReceivedBody, UpstreamRequest } from './upstream-request.js';
import { UpstreamFailure } from './verify-request.js';
import type { VerifiedHead } from './verify-request.js';

/**
 * Feeds a request body to `onData`, pausing while it works. After a failure the
 * rest of the body is still read (and dropped) so the error response reaches a
 * client that is still sending; the promise then rejects with that failure.
 */
export function pump(req: IncomingMessage, onData: (chunk: Buffer) => Promise<void> | void): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: unknown;
    let failed = false;
    const fail = (err: unknown): void => {
      if (!failed) {
        failed = true;
        failure = err;
      }
    };
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      let pending: Promise<void> | void;
      try {
        pending = onData(chunk);
      } catch (err) {
        fail(err);
        return;
      }
      if (pending !== undefined) {
        req.pause();
        pending.then(
          () => req.resume(),
          (err: unknown) => {
            fail(err);
            req.resume();
          },
        );
      }
    });
    req.once('end', () => (failed ? reject(failure) : resolve()));
    req.once('error', (err) => reject(failed ? failure : err));
    req.once('close', () => {
      if (!req.complete) reject(failed ? failure : new Error('the client closed the connection mid-body'));
    });
  });
}

/**
 * Reads the body once: decodes aws-chunked framing (verifying chunk and trailer
 * signatures), hashes and checksums the decoded bytes, and writes them to `file`
 * when given — with back-pressure, never holding the body in memory.
 */
export async function receiveBody(
  req: IncomingMessage,
  rec: UpstreamRequest,
  head: VerifiedHead,
  file: string | undefined,
  minChunkBytes: number,
): Promise<ReceivedBody> {
  const decoder =
    head.bodyMode === 'raw'
      ? undefined
      : new AwsChunkedDecoder({
          signing:
            head.bodyMode === 'unsigned-chunks-trailer'
              ? undefined
              : { key: head.key, amzDate: head.amzDate, scope: head.credential.scope, seedSignature: head.signature },
          trailer: head.bodyMode !== 'signed-chunks',
          minChunkBytes,
        });
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  const sums = new Map<string, Checksum>();
  const wanted = [
    ...CHECKSUM_HEADERS.filter((name) => rec.headers[name] !== undefined),
    ...(rec.headers['x-amz-trailer'] ?? '').split(',').map((n) => n.trim().toLowerCase()),
  ];
  for (const name of wanted) {
    const sum = name === '' ? undefined : checksumFor(name);
    if (sum !== undefined) sums.set(name, sum);
  }
  const out = file === undefined ? undefined : createWriteStream(file);
  // When the client goes away the file is destroyed with writes still queued; their
  // ERR_STREAM_DESTROYED is expected, and the failure is reported through pump.
  out?.on('error', () => undefined);
  let bytes = 0;
  try {
    await pump(req, (wire) => {
      rec.wireBytes += wire.length;
      const pieces = decoder === undefined ? [wire] : decoder.push(wire);
      let full = false;
      for (const piece of pieces) {
        sha256.update(piece);
        md5.update(piece);
        for (const sum of sums.values()) sum.update(piece);
        bytes += piece.length;
        // After a failure the file is gone: later pieces of a still-flowing body are only hashed.
        if (out !== undefined && !out.destroyed && !out.write(piece)) full = true;
      }
      // Back-pressure: the socket waits while the temp file catches up.
      return full && out !== undefined ? once(out, 'drain').then(() => undefined) : undefined;
    });
    decoder?.end();
    if (out !== undefined) {
      out.end();
      await once(out, 'finish');
    }
  } catch (err) {
    out?.destroy();
    if (file !== undefined) await rm(file, { force: true });
    throw err;
  }
  const computed = new Map<string, string>();
  for (const [name, sum] of sums) computed.set(name, sum.digestBase64());
  if (decoder !== undefined) rec.chunks = decoder.chunks;
  return {
    sha256: sha256.digest('hex'),
    md5: md5.digest('hex'),
    bytes,
    computed,
    trailers: Object.fromEntries(decoder?.trailers ?? []),
    file,
  };
}

/** Checks that need the whole body: declared hash, decoded length, checksums. */
export function checkBody(req: IncomingMessage, rec: UpstreamRequest, head: VerifiedHead, body: ReceivedBody): void {
  if (head.declaredSha256 !== undefined && head.declaredSha256 !== body.sha256) {
    throw new UpstreamFailure(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  if (head.bodyMode !== 'raw') {
    const declared = rec.headers['x-amz-decoded-content-length'];
    if (declared === undefined) throw new UpstreamFailure(411, 'MissingContentLength', 'x-amz-decoded-content-length is required for aws-chunked bodies');
    if (Number(declared) !== body.bytes) {
      throw new UpstreamFailure(400, 'IncompleteBody', `x-amz-decoded-content-length says ${declared} bytes, the chunks carried ${body.bytes}`);
    }
    rec.trailers = body.trailers;
  }
  const query = parseQuery(rec.query);
  // CompleteMultipartUpload's checksum headers describe the object, not this request's body.
  const headerChecksumsApply = !(req.method === 'POST' && query.some(([k]) => k === 'uploadId'));
  const trailerNames = (rec.headers['x-amz-trailer'] ?? '').split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '');
  for (const [name, value] of body.computed) {
    const fromTrailer = trailerNames.includes(name);
    if (!fromTrailer && !headerChecksumsApply) continue;
    const expected = fromTrailer ? body.trailers[name] : rec.headers[name];
    if (expected === undefined) throw new UpstreamFailure(400, 'MalformedTrailerError', `the trailer announced ${name} but did not carry it`);
    if (expected !== value) {
      throw new UpstreamFailure(400, 'BadDigest', `${name} ${expected} does not match the body's ${value}`);
    }
    rec.checksums[name] = value;
  }
}
