import { createHash } from 'node:crypto';
import { awsUriEncode } from './uri-encoding.js';

/** SHA-256 of the empty string, the payload hash of body-less requests. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The parts of a request that SigV4 signs. */
export interface CanonicalParts {
  method: string;
  canonicalUri: string;
  canonicalQuery: string;
  /** Lower-case names (sorted) and their canonical values, in the same order. */
  signedHeaders: readonly string[];
  headerValues: readonly string[];
  payloadHash: string;
}

/**
 * Canonical URI of a raw (wire, percent-encoded) path. S3 signs the path as
 * sent; every other service signs it normalised (empty and dot segments
 * removed) and encoded a second time — what botocore and the JS SDK compute.
 */
export function canonicalUri(rawPath: string, service: string): string {
  const path = rawPath === '' ? '/' : rawPath;
  if (service === 's3') return path;
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return `/${segments.map((s) => awsUriEncode(s)).join('/')}${trailing}`;
}

/**
 * Canonical query string: names and values URI-encoded, sorted by name then
 * value. `exclude` drops a parameter (`X-Amz-Signature` of a presigned URL).
 */
export function canonicalQuery(pairs: ReadonlyArray<readonly [string, string]>, exclude?: string): string {
  const encoded: string[] = [];
  for (const [name, value] of pairs) {
    if (name === exclude) continue;
    encoded.push(`${awsUriEncode(name)}=${awsUriEncode(value)}`);
  }
  // Sorting "name=value" strings orders by name first because '=' (0x3D) sorts
  // below every encoded name character except '-' and '.', so compare parts.
  if (encoded.length > 1) {
    encoded.sort((a, b) => {
      const ai = a.indexOf('=');
      const bi = b.indexOf('=');
      const an = a.slice(0, ai);
      const bn = b.slice(0, bi);
      if (an !== bn) return an < bn ? -1 : 1;
      const av = a.slice(ai + 1);
      const bv = b.slice(bi + 1);
      return av < bv ? -1 : av > bv ? 1 : 0;
    });
  }
  return encoded.join('&');
}

/** Canonical header value: trimmed, runs of whitespace collapsed to one space. */
export function canonicalHeaderValue(value: string): string {
  return value.trim().replace(/\s+/g, ' ');
}

/** The canonical request string of SigV4 task 1. */
export function canonicalRequestString(parts: CanonicalParts): string {
  let headers = '';
  for (let i = 0; i < parts.signedHeaders.length; i++) {
    headers += `${parts.signedHeaders[i]}:${parts.headerValues[i]}\n`;
  }
  return `${parts.method}\n${parts.canonicalUri}\n${parts.canonicalQuery}\n${headers}\n${parts.signedHeaders.join(';')}\n${parts.payloadHash}`;
}

/** Hex SHA-256. */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The string to sign of SigV4 task 2. */
export function stringToSign(amzDate: string, scope: string, canonicalRequest: string): string {
  return `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
}
