/**
 * Server-side SigV4 canonicalisation for the test upstream: the canonical request
 * is rebuilt from what arrived on the wire (method, raw path, raw query, the
 * signed headers' received values), the way an AWS endpoint checks a signature.
 *
 * Written against the AWS documentation with node:crypto rather than with a
 * client-side signer: a signer decides itself which headers to sign and adds its
 * own, which a verifier must not do. The published chunked-upload vectors pin it
 * (see sigv4-upstream.test.ts).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** `x-amz-content-sha256` values that are not a hash of the body. */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

/** The `Credential=` part of a SigV4 signature. */
export interface CredentialScope {
  accessKeyId: string;
  /** `YYYYMMDD`. */
  date: string;
  region: string;
  service: string;
  /** `date/region/service/aws4_request`, as it enters the string to sign. */
  scope: string;
}

/** What an `Authorization` header or presigned query names. */
export interface SignatureClaim {
  credential: CredentialScope;
  signedHeaders: string[];
  signature: string;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** Parses `AKID/20130524/us-east-1/s3/aws4_request`; a string is the reason it is malformed. */
export function parseCredential(value: string): CredentialScope | string {
  const parts = value.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') return `malformed credential scope "${value}"`;
  const [accessKeyId = '', date = '', region = '', service = ''] = parts;
  if (!/^\d{8}$/.test(date)) return `credential scope date "${date}" is not YYYYMMDD`;
  return { accessKeyId, date, region, service, scope: parts.slice(1).join('/') };
}

/**
 * Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`
 * (commas with or without spaces, any order); a string is the reason it is malformed.
 */
export function parseAuthorization(header: string): SignatureClaim | string {
  if (!header.startsWith(`${ALGORITHM} `)) return `unsupported authorization scheme "${header.split(' ')[0] ?? ''}"`;
  const fields = new Map<string, string>();
  for (const part of header.slice(ALGORITHM.length + 1).split(',')) {
    const trimmed = part.trim();
    const eq = trimmed.indexOf('=');
    if (eq > 0) fields.set(trimmed.slice(0, eq), trimmed.slice(eq + 1));
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    return 'authorization header lacks Credential, SignedHeaders or Signature';
  }
  const scope = parseCredential(credential);
  if (typeof scope === 'string') return scope;
  return { credential: scope, signedHeaders: signedHeaders.split(';'), signature };
}

/** RFC 3986 percent-encoding as SigV4 defines it: everything but `A-Za-z0-9-_.~`. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // a stray '%' is taken literally, and then encoded as %25
  }
}

/**
 * The canonical URI. S3 signs the path exactly as sent; every other service signs
 * the normalised path (no empty, `.` or `..` segments) encoded a second time.
 */
export function canonicalUri(rawPath: string, service: string): string {
  if (rawPath === '') return '/';
  if (service === 's3') return rawPath;
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return `/${segments.map(uriEncode).join('/')}${trailing}`;
}

/** Splits a raw query string into decoded pairs, in wire order. */
export function parseQuery(rawQuery: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    pairs.push(eq < 0 ? [safeDecode(part), ''] : [safeDecode(part.slice(0, eq)), safeDecode(part.slice(eq + 1))]);
  }
  return pairs;
}

/** The canonical query: re-encoded, sorted by name then value, `X-Amz-Signature` left out. */
export function canonicalQuery(pairs: ReadonlyArray<readonly [string, string]>): string {
  const encoded = pairs
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const);
  encoded.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return encoded.map(([name, value]) => `${name}=${value}`).join('&');
}

/** Received header values by lower-case name, repeats kept in order (from `req.rawHeaders`). */
export function headerValues(rawHeaders: readonly string[]): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const list = values.get(name) ?? [];
    list.push(rawHeaders[i + 1] ?? '');
    values.set(name, list);
  }
  return values;
}

/**
 * The canonical headers block for the signed header names, from the values as
 * received: trimmed, inner whitespace runs collapsed, repeats joined with ','.
 * `{ missing }` names a signed header that did not arrive.
 */
export function canonicalHeaders(values: Map<string, string[]>, signedHeaders: readonly string[]): string | { missing: string } {
  let block = '';
  for (const name of signedHeaders) {
    const received = values.get(name);
    if (received === undefined) return { missing: name };
    block += `${name}:${received.map((v) => v.trim().replace(/\s+/g, ' ')).join(',')}\n`;
  }
  return block;
}

/** The canonical request, from its parts. */
export function canonicalRequest(parts: {
  method: string;
  uri: string;
  query: string;
  headers: string;
  signedHeaders: readonly string[];
  payloadHash: string;
}): string {
  return [parts.method, parts.uri, parts.query, parts.headers, parts.signedHeaders.join(';'), parts.payloadHash].join('\n');
}

const signingKeys = new Map<string, Buffer>();

/** The derived signing key, cached per secret and scope (AWS derives it once a day). */
export function signingKey(secret: string, scope: CredentialScope): Buffer {
  const cacheKey = `${secret}\n${scope.scope}`;
  let key = signingKeys.get(cacheKey);
  if (key === undefined) {
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, scope.date), scope.region), scope.service), 'aws4_request');
    signingKeys.set(cacheKey, key);
  }
  return key;
}

/** The request signature for a canonical request. */
export function requestSignature(key: Buffer, amzDate: string, scope: string, canonical: string): string {
  return hmac(key, `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`).toString('hex');
}

/** The signature of one aws-chunked chunk, chained from the previous one. */
export function chunkSignature(key: Buffer, amzDate: string, scope: string, previous: string, chunkSha256Hex: string): string {
  return hmac(key, `${ALGORITHM}-PAYLOAD\n${amzDate}\n${scope}\n${previous}\n${EMPTY_SHA256}\n${chunkSha256Hex}`).toString('hex');
}

/** The signature of the trailing headers (`name:value\n` each, in order), chained from the final chunk. */
export function trailerSignature(key: Buffer, amzDate: string, scope: string, previous: string, canonicalTrailers: string): string {
  return hmac(key, `${ALGORITHM}-TRAILER\n${amzDate}\n${scope}\n${previous}\n${sha256Hex(canonicalTrailers)}`).toString('hex');
}

/** Compares two hex signatures without leaking where they differ. */
export function signaturesEqual(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Parses `20130524T000000Z` to epoch milliseconds, or NaN. */
export function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m === null) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}
