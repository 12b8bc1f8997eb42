import { timingSafeEqual } from 'node:crypto';
import { amzDateToMs, type SigV4Auth } from './authorization.js';
import { canonicalHeaderValue, canonicalQuery, canonicalRequestString, canonicalUri, stringToSign } from './canonical-request.js';
import { hmacHex, type SigningKeyCache } from './signing-key.js';
import { SigV4Error } from './sigv4-error.js';
import { clockSkewMessage } from '../aws/aws-error-codes.js';

/** The request as it arrived on the wire, which is what the caller signed. */
export interface WireRequest {
  method: string;
  /** Raw, percent-encoded path without the query. */
  path: string;
  /** Decoded query pairs in wire order. */
  query: ReadonlyArray<readonly [string, string]>;
  /** Node's `rawHeaders`: name, value, name, value … as received. */
  rawHeaders: readonly string[];
}

/** AWS refuses header-signed requests more than 15 minutes off its clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/**
 * Checks the request time: header-signed requests must be within the allowed
 * skew; presigned URLs must not be used before their date (beyond the skew) or
 * after date + X-Amz-Expires.
 */
export function checkFreshness(auth: SigV4Auth, nowMs: number, maxSkewMs = MAX_CLOCK_SKEW_MS): void {
  const signedAt = amzDateToMs(auth.amzDate);
  if (Number.isNaN(signedAt)) throw new SigV4Error('MalformedAuthorization', `Invalid X-Amz-Date ${auth.amzDate}.`);
  if (auth.mode === 'presigned') {
    if (signedAt - nowMs > maxSkewMs) throw new SigV4Error('ClockSkew', 'Request is not valid yet.');
    if (nowMs > signedAt + (auth.expires ?? 0) * 1000) throw new SigV4Error('RequestExpired', 'Request has expired');
    return;
  }
  if (Math.abs(nowMs - signedAt) > maxSkewMs) {
    throw new SigV4Error('ClockSkew', clockSkewMessage(auth.amzDate, new Date(nowMs), Math.round(maxSkewMs / 60_000)));
  }
}

/**
 * Collects the canonical values of the signed headers from the raw header
 * list: repeated headers joined with ',' in arrival order, each value trimmed
 * and its inner whitespace collapsed. A signed header that is absent fails.
 */
export function signedHeaderValues(rawHeaders: readonly string[], signedHeaders: readonly string[]): string[] {
  const values: (string | undefined)[] = new Array<string | undefined>(signedHeaders.length);
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const idx = signedHeaders.indexOf(name);
    if (idx === -1) continue;
    const v = canonicalHeaderValue(rawHeaders[i + 1] as string);
    values[idx] = values[idx] === undefined ? v : `${values[idx]},${v}`;
  }
  for (let i = 0; i < values.length; i++) {
    if (values[i] === undefined) {
      throw new SigV4Error('SignatureMismatch', `The request signed header '${signedHeaders[i]}' is not present.`);
    }
  }
  return values as string[];
}

/**
 * Recomputes the caller's signature and compares it in constant time.
 * `payloadHash` is what the caller signed as the payload: the declared
 * `x-amz-content-sha256` value, `UNSIGNED-PAYLOAD` for presigned URLs, or the
 * hash of the buffered body. Returns the signature (the seed of aws-chunked uploads).
 */
export function verifySignature(
  req: WireRequest,
  auth: SigV4Auth,
  secretAccessKey: string,
  payloadHash: string,
  keys: SigningKeyCache,
): string {
  const canonical = canonicalRequestString({
    method: req.method,
    canonicalUri: canonicalUri(req.path, auth.service),
    canonicalQuery: canonicalQuery(req.query, auth.mode === 'presigned' ? 'X-Amz-Signature' : undefined),
    signedHeaders: auth.signedHeaders,
    headerValues: signedHeaderValues(req.rawHeaders, auth.signedHeaders),
    payloadHash,
  });
  const key = keys.get(secretAccessKey, auth.scopeDate, auth.region, auth.service);
  const expected = hmacHex(key, stringToSign(auth.amzDate, auth.scope, canonical));
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(auth.signature))) {
    throw new SigV4Error(
      'SignatureMismatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
  return expected;
}
