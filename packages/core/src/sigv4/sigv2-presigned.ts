import { createHmac, timingSafeEqual } from 'node:crypto';
import { SigV4Error } from './sigv4-error.js';

/**
 * An S3 presigned URL in the legacy SigV2 query form
 * (`AWSAccessKeyId`, `Expires`, `Signature`). boto3 still makes these by default
 * for S3 (`generate_presigned_url` without `signature_version='s3v4'`), so an
 * agent's presigned URLs arrive in this form. The sidecar verifies them against
 * the ephemeral secret and forwards the call signed with SigV4, as every call.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
 */
export interface SigV2Presigned {
  accessKeyId: string;
  signature: string;
  /** Expiry, epoch seconds. */
  expires: number;
  securityToken?: string;
}

/** Query parameters of a SigV2 presigned URL; they never go upstream. */
export const SIGV2_PARAMS: ReadonlySet<string> = new Set(['AWSAccessKeyId', 'Signature', 'Expires', 'x-amz-security-token']);

/**
 * Sub-resources that are part of the SigV2 canonical resource (the rest of
 * the query string is not signed).
 */
const SIGNED_SUBRESOURCES = new Set([
  'accelerate', 'acl', 'analytics', 'cors', 'delete', 'inventory', 'lifecycle', 'location', 'logging', 'metrics',
  'notification', 'object-lock', 'partNumber', 'policy', 'replication', 'requestPayment', 'restore', 'select',
  'select-type', 'storageClass', 'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning', 'versions',
  'website', 'response-cache-control', 'response-content-disposition', 'response-content-encoding',
  'response-content-language', 'response-content-type', 'response-expires',
]);

/** Reads a SigV2 presigned URL's parameters; undefined when the query is not one. */
export function parseSigV2Presigned(query: ReadonlyArray<readonly [string, string]>): SigV2Presigned | undefined {
  const get = (name: string) => query.find(([k]) => k === name)?.[1];
  const accessKeyId = get('AWSAccessKeyId');
  const signature = get('Signature');
  const expires = get('Expires');
  if (accessKeyId === undefined && signature === undefined) return undefined;
  if (accessKeyId === undefined || signature === undefined || expires === undefined || !/^\d{1,12}$/.test(expires)) {
    throw new SigV4Error('MalformedAuthorization', 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters');
  }
  const out: SigV2Presigned = { accessKeyId, signature, expires: Number(expires) };
  const token = get('x-amz-security-token');
  if (token !== undefined) out.securityToken = token;
  return out;
}

/**
 * Verifies a SigV2 presigned S3 request: expiry, then HMAC-SHA1 over the
 * canonical string. `bucket` is set for virtual-hosted requests (bucket in the
 * Host), whose canonical resource starts with `/bucket`.
 */
export function verifySigV2Presigned(
  req: { method: string; path: string; query: ReadonlyArray<readonly [string, string]>; rawHeaders: readonly string[]; bucket?: string | undefined },
  auth: SigV2Presigned,
  secretAccessKey: string,
  nowMs: number,
): void {
  if (nowMs > auth.expires * 1000) throw new SigV4Error('RequestExpired', 'Request has expired');
  const headers = new Map<string, string[]>();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] as string).toLowerCase();
    const list = headers.get(name) ?? [];
    list.push((req.rawHeaders[i + 1] as string).trim());
    headers.set(name, list);
  }
  const amz: Array<[string, string]> = [];
  for (const [name, values] of headers) if (name.startsWith('x-amz-')) amz.push([name, values.join(',')]);
  if (auth.securityToken !== undefined && !headers.has('x-amz-security-token')) amz.push(['x-amz-security-token', auth.securityToken]);
  amz.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const sub = req.query
    .filter(([k]) => SIGNED_SUBRESOURCES.has(k))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`));
  const resource = `${req.bucket === undefined ? '' : `/${req.bucket}`}${req.path}${sub.length > 0 ? `?${sub.join('&')}` : ''}`;
  const stringToSign = [
    req.method,
    headers.get('content-md5')?.join(',') ?? '',
    headers.get('content-type')?.join(',') ?? '',
    String(auth.expires),
    `${amz.map(([k, v]) => `${k}:${v}\n`).join('')}${resource}`,
  ].join('\n');
  const expected = createHmac('sha1', secretAccessKey).update(stringToSign, 'utf8').digest();
  const given = Buffer.from(auth.signature, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SigV4Error('SignatureMismatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
}
