import { SigV4Error } from './sigv4-error.js';

/** SigV4 algorithm identifiers. SigV4a (ECDSA) is recognised only to refuse it clearly. */
export const ALGORITHM = 'AWS4-HMAC-SHA256';
const ALGORITHM_V4A = 'AWS4-ECDSA-P256-SHA256';

/** What a caller's SigV4 authentication claims, before it is verified. */
export interface SigV4Auth {
  mode: 'header' | 'presigned';
  accessKeyId: string;
  /** `YYYYMMDD` of the credential scope. */
  scopeDate: string;
  region: string;
  service: string;
  /** `date/region/service/aws4_request`. */
  scope: string;
  /** Lower-case, as listed by the caller (verified to be sorted and to include host). */
  signedHeaders: string[];
  signature: string;
  /** `YYYYMMDDTHHMMSSZ` from X-Amz-Date (header or query) or the Date header. */
  amzDate: string;
  /** Presigned URLs only: validity in seconds. */
  expires?: number;
  /** Session token the caller presented (header or query). */
  securityToken?: string;
}

const AMZ_DATE = /^\d{8}T\d{6}Z$/;
const HEX_SIGNATURE = /^[0-9a-f]{64}$/;

/** Lower-case header lookup over node's header object. */
type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * Reads SigV4 authentication from the Authorization header or, for presigned
 * URLs, from the query string. Throws SigV4Error for anything malformed; returns
 * undefined when the request carries no authentication at all.
 */
export function parseSigV4(headers: HeaderBag, query: ReadonlyArray<readonly [string, string]>): SigV4Auth | undefined {
  const authorization = header(headers, 'authorization');
  if (authorization !== undefined) return parseAuthorizationHeader(authorization, headers);
  const q = new Map<string, string>();
  for (const [k, v] of query) if (k.startsWith('X-Amz-') && !q.has(k)) q.set(k, v);
  if (q.has('X-Amz-Algorithm') || q.has('X-Amz-Signature') || q.has('X-Amz-Credential')) return parsePresigned(q);
  return undefined;
}

function parseAuthorizationHeader(value: string, headers: HeaderBag): SigV4Auth {
  const space = value.indexOf(' ');
  const algorithm = space === -1 ? value : value.slice(0, space);
  if (algorithm === ALGORITHM_V4A) {
    throw new SigV4Error('UnsupportedSigning', 'SigV4a (AWS4-ECDSA-P256-SHA256) signatures are not supported by this gateway.');
  }
  if (algorithm !== ALGORITHM) {
    throw new SigV4Error('MalformedAuthorization', `Unsupported Authorization Type: ${algorithm.slice(0, 40)}`);
  }
  const fields = new Map<string, string>();
  for (const part of value.slice(space + 1).split(',')) {
    const trimmed = part.trim();
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw new SigV4Error('MalformedAuthorization', `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters; malformed part '${trimmed.slice(0, 40)}'.`);
    fields.set(trimmed.slice(0, eq), trimmed.slice(eq + 1));
  }
  const credential = required(fields.get('Credential'), 'Credential');
  const signedHeaders = required(fields.get('SignedHeaders'), 'SignedHeaders');
  const signature = required(fields.get('Signature'), 'Signature');
  const amzDate = header(headers, 'x-amz-date') ?? dateHeaderToAmz(header(headers, 'date'));
  if (amzDate === undefined) {
    throw new SigV4Error('MissingAuthentication', 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.');
  }
  const token = header(headers, 'x-amz-security-token');
  return build('header', credential, signedHeaders, signature, amzDate, undefined, token);
}

function parsePresigned(q: Map<string, string>): SigV4Auth {
  const algorithm = required(q.get('X-Amz-Algorithm'), 'X-Amz-Algorithm');
  if (algorithm === ALGORITHM_V4A) throw new SigV4Error('UnsupportedSigning', 'SigV4a presigned URLs are not supported by this gateway.');
  if (algorithm !== ALGORITHM) throw new SigV4Error('MalformedAuthorization', `X-Amz-Algorithm only supports "${ALGORITHM}".`);
  const expiresRaw = required(q.get('X-Amz-Expires'), 'X-Amz-Expires');
  if (!/^\d{1,7}$/.test(expiresRaw)) throw new SigV4Error('MalformedAuthorization', 'X-Amz-Expires should be a number.');
  const expires = Number(expiresRaw);
  if (expires < 1 || expires > 604800) {
    throw new SigV4Error('MalformedAuthorization', 'X-Amz-Expires must be between 1 and 604800 seconds.');
  }
  return build(
    'presigned',
    required(q.get('X-Amz-Credential'), 'X-Amz-Credential'),
    required(q.get('X-Amz-SignedHeaders'), 'X-Amz-SignedHeaders'),
    required(q.get('X-Amz-Signature'), 'X-Amz-Signature'),
    required(q.get('X-Amz-Date'), 'X-Amz-Date'),
    expires,
    q.get('X-Amz-Security-Token'),
  );
}

function build(
  mode: SigV4Auth['mode'],
  credential: string,
  signedHeadersRaw: string,
  signature: string,
  amzDate: string,
  expires: number | undefined,
  securityToken: string | undefined,
): SigV4Auth {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || parts.some((p) => p === '')) {
    throw new SigV4Error('MalformedAuthorization', `Credential should be scoped to a valid region and service, and end with aws4_request: '${credential.slice(0, 120)}'.`);
  }
  const [accessKeyId, scopeDate, region, service] = parts as [string, string, string, string, string];
  if (!/^\d{8}$/.test(scopeDate)) throw new SigV4Error('MalformedAuthorization', `Invalid credential date "${scopeDate.slice(0, 20)}". This date is not the same as X-Amz-Date.`);
  if (!AMZ_DATE.test(amzDate)) throw new SigV4Error('MalformedAuthorization', `Invalid X-Amz-Date "${amzDate.slice(0, 40)}"; expected format YYYYMMDD'T'HHMMSS'Z'.`);
  if (amzDate.slice(0, 8) !== scopeDate) {
    throw new SigV4Error('SignatureMismatch', `Invalid credential date. Date is not the same as X-Amz-Date: "${scopeDate}".`);
  }
  if (!HEX_SIGNATURE.test(signature)) throw new SigV4Error('SignatureMismatch', 'The request signature we calculated does not match the signature you provided.');
  const signedHeaders = signedHeadersRaw.split(';');
  for (let i = 0; i < signedHeaders.length; i++) {
    const h = signedHeaders[i] as string;
    if (h === '' || h !== h.toLowerCase() || (i > 0 && (signedHeaders[i - 1] as string) >= h)) {
      throw new SigV4Error('MalformedAuthorization', 'SignedHeaders must be lower-case, sorted and without duplicates.');
    }
  }
  if (!signedHeaders.includes('host')) {
    throw new SigV4Error('SignatureMismatch', "'Host' must be a signed header.");
  }
  const auth: SigV4Auth = {
    mode, accessKeyId, scopeDate, region, service,
    scope: `${scopeDate}/${region}/${service}/aws4_request`,
    signedHeaders, signature, amzDate,
  };
  if (expires !== undefined) auth.expires = expires;
  if (securityToken !== undefined) auth.securityToken = securityToken;
  return auth;
}

function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '') {
    throw new SigV4Error('MalformedAuthorization', `Authorization is missing the '${name}' parameter.`);
  }
  return value;
}

/** RFC 7231 Date header → `YYYYMMDDTHHMMSSZ`, or undefined when absent or invalid. */
function dateHeaderToAmz(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : toAmzDate(new Date(ms));
}

/** `Date` → `YYYYMMDDTHHMMSSZ`. */
export function toAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** `YYYYMMDDTHHMMSSZ` → epoch ms. */
export function amzDateToMs(amzDate: string): number {
  return Date.UTC(
    Number(amzDate.slice(0, 4)), Number(amzDate.slice(4, 6)) - 1, Number(amzDate.slice(6, 8)),
    Number(amzDate.slice(9, 11)), Number(amzDate.slice(11, 13)), Number(amzDate.slice(13, 15)),
  );
}
