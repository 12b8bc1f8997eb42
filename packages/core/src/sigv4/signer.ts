import { toAmzDate } from './authorization.js';
import { canonicalHeaderValue, canonicalQuery, canonicalRequestString, canonicalUri, stringToSign } from './canonical-request.js';
import { hmacHex, type SigningKeyCache } from './signing-key.js';

/** Credentials used to sign (the gateway's upstream credentials). */
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** A request about to be sent, with headers the signer may add to. */
export interface OutgoingRequest {
  method: string;
  /** Raw, percent-encoded path as it will be sent. */
  path: string;
  query: ReadonlyArray<readonly [string, string]>;
  /** Lower-case header names. The signer adds host-independent auth headers. */
  headers: Record<string, string>;
}

export interface SignOptions {
  region: string;
  service: string;
  /** Value signed as the payload hash (a hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING-* marker). */
  payloadHash: string;
  now?: Date;
  /** Sign and send `x-amz-content-sha256` (S3 requires it). */
  contentSha256Header?: boolean;
}

export interface SignResult {
  signature: string;
  amzDate: string;
  scope: string;
  signingKey: Buffer;
}

/**
 * Whether a header is signed upstream: host, every x-amz-* header, and the
 * content headers whose change would alter the meaning of the call. Transport
 * headers (content-length, user-agent, amz-sdk-*) are left out so they cannot
 * break the signature on the way.
 */
function isSignedUpstream(name: string): boolean {
  return name === 'host' || name.startsWith('x-amz-') || name === 'content-type' || name === 'content-md5';
}

/**
 * Signs `req` with SigV4 in place: sets x-amz-date, x-amz-security-token,
 * optionally x-amz-content-sha256, and authorization. `req.headers.host` must
 * already be the upstream host.
 */
export function signRequest(req: OutgoingRequest, creds: SigningCredentials, opts: SignOptions, keys: SigningKeyCache): SignResult {
  const amzDate = toAmzDate(opts.now ?? new Date());
  const date = amzDate.slice(0, 8);
  const h = req.headers;
  h['x-amz-date'] = amzDate;
  if (creds.sessionToken !== undefined && creds.sessionToken !== '') h['x-amz-security-token'] = creds.sessionToken;
  else delete h['x-amz-security-token'];
  if (opts.contentSha256Header) h['x-amz-content-sha256'] = opts.payloadHash;
  const signedHeaders = Object.keys(h).filter(isSignedUpstream).sort();
  const scope = `${date}/${opts.region}/${opts.service}/aws4_request`;
  const canonical = canonicalRequestString({
    method: req.method,
    canonicalUri: canonicalUri(req.path, opts.service),
    canonicalQuery: canonicalQuery(req.query),
    signedHeaders,
    headerValues: signedHeaders.map((n) => canonicalHeaderValue(h[n] as string)),
    payloadHash: opts.payloadHash,
  });
  const signingKey = keys.get(creds.secretAccessKey, date, opts.region, opts.service);
  const signature = hmacHex(signingKey, stringToSign(amzDate, scope, canonical));
  h['authorization'] = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return { signature, amzDate, scope, signingKey };
}
