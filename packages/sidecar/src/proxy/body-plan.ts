import type { IncomingMessage } from 'node:http';
import {
  EMPTY_SHA256, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER, SigV4Error, type SigV4Auth,
} from '@agentrail/core';

/**
 * How a request body travels. The payload hash the caller signed decides it:
 * - `empty`: no body.
 * - `stream`: `UNSIGNED-PAYLOAD` — relayed as is.
 * - `verify`: a hex SHA-256 was declared — relayed while hashing; the end is
 *   held back until the hash matches.
 * - `chunked`: aws-chunked — every chunk re-signed (or, unsigned-trailer, checked).
 * - `buffer`: no declared hash (JSON, query, REST-JSON APIs) — read whole, bounded,
 *   to hash it; small bodies also tell the operation (query `Action`, JSON fields).
 */
export type BodyPlan =
  | { kind: 'empty'; payloadHash: string }
  | { kind: 'stream'; payloadHash: 'UNSIGNED-PAYLOAD' }
  | { kind: 'verify'; payloadHash: string }
  | { kind: 'chunked'; payloadHash: typeof STREAMING_SIGNED | typeof STREAMING_SIGNED_TRAILER | typeof STREAMING_UNSIGNED_TRAILER; decodedLength?: number }
  | { kind: 'buffer' };

const HEX_SHA256 = /^[0-9a-f]{64}$/;

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return len !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

export function planBody(req: IncomingMessage, auth: SigV4Auth): BodyPlan {
  const declared = header(req, 'x-amz-content-sha256');
  if (auth.mode === 'presigned' && declared === undefined) {
    // S3 presigned URLs sign UNSIGNED-PAYLOAD; other services sign the body's hash.
    if (auth.service === 's3') return hasBody(req) ? { kind: 'stream', payloadHash: 'UNSIGNED-PAYLOAD' } : { kind: 'empty', payloadHash: 'UNSIGNED-PAYLOAD' };
    return hasBody(req) ? { kind: 'buffer' } : { kind: 'empty', payloadHash: EMPTY_SHA256 };
  }
  if (declared === undefined) return hasBody(req) ? { kind: 'buffer' } : { kind: 'empty', payloadHash: EMPTY_SHA256 };
  if (declared === 'UNSIGNED-PAYLOAD') return hasBody(req) ? { kind: 'stream', payloadHash: declared } : { kind: 'empty', payloadHash: declared };
  if (declared === STREAMING_SIGNED || declared === STREAMING_SIGNED_TRAILER || declared === STREAMING_UNSIGNED_TRAILER) {
    const decodedRaw = header(req, 'x-amz-decoded-content-length');
    const plan: BodyPlan = { kind: 'chunked', payloadHash: declared };
    if (decodedRaw !== undefined) {
      if (!/^\d{1,15}$/.test(decodedRaw)) throw new SigV4Error('IncompleteBody', 'x-amz-decoded-content-length must be a number.');
      plan.decodedLength = Number(decodedRaw);
    }
    return plan;
  }
  if (declared.startsWith('STREAMING-')) {
    throw new SigV4Error('UnsupportedSigning', `x-amz-content-sha256 ${declared.slice(0, 60)} is not supported by this gateway.`);
  }
  if (!HEX_SHA256.test(declared)) {
    throw new SigV4Error('MalformedAuthorization', "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-… or a SHA-256 hex digest.");
  }
  if (!hasBody(req)) {
    if (declared !== EMPTY_SHA256) throw new SigV4Error('PayloadHashMismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    return { kind: 'empty', payloadHash: declared };
  }
  return { kind: 'verify', payloadHash: declared };
}
