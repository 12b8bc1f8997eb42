/**
 * The request-level SigV4 checks of the test upstream, in the order an AWS
 * endpoint makes them: find the signature (header or presigned query), the key,
 * the session token, the date, then rebuild the canonical request from the wire.
 * The payload hash is known up front, or — for non-S3 calls without
 * `x-amz-content-sha256` — only once the body has been read.
 */
import type { IncomingMessage } from 'node:http';
import {
  ALGORITHM,
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  STREAMING_UNSIGNED_TRAILER,
  UNSIGNED_PAYLOAD,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  headerValues,
  parseAmzDate,
  parseAuthorization,
  parseCredential,
  parseQuery,
  requestSignature,
  signaturesEqual,
  signingKey,
} from './canonical.js';
import type { CredentialScope, SignatureClaim } from './canonical.js';

/** A refusal, with the status and error code the real service would send. */
export class UpstreamFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamFailure';
  }
}

/** How the body is framed and what its hash must be. */
export type BodyMode = 'raw' | 'signed-chunks' | 'signed-chunks-trailer' | 'unsigned-chunks-trailer';

/** The outcome of the checks that need no body. */
export interface VerifiedHead {
  authMode: 'header' | 'presigned';
  credential: CredentialScope;
  signature: string;
  amzDate: string;
  key: Buffer;
  /** What the canonical request's last line will be, if known before the body. */
  payloadHash: string | undefined;
  /** As `UpstreamRequest.payloadMode` reports it. */
  payloadMode: string;
  bodyMode: BodyMode;
  /** A hex SHA-256 the body must match, when the client declared one. */
  declaredSha256: string | undefined;
  /** Builds the canonical request for a payload hash. */
  canonical(payloadHash: string): string;
}

/** Who the upstream accepts, and its clock. */
export interface VerifierConfig {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  now: () => number;
  maxClockSkewMs: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
/** AWS caps presigned URLs at seven days. */
const MAX_PRESIGN_SECONDS = 604_800;

/** Error codes differ between S3 (XML) and the JSON / REST-JSON services. */
function codes(s3: boolean) {
  return {
    badKey: s3 ? 'InvalidAccessKeyId' : 'UnrecognizedClientException',
    badToken: s3 ? 'InvalidToken' : 'UnrecognizedClientException',
    badSignature: s3 ? 'SignatureDoesNotMatch' : 'InvalidSignatureException',
    skewed: s3 ? 'RequestTimeTooSkewed' : 'InvalidSignatureException',
    malformed: s3 ? 'AuthorizationHeaderMalformed' : 'IncompleteSignatureException',
    missing: s3 ? 'AccessDenied' : 'MissingAuthenticationTokenException',
  };
}

function toAmzDate(httpDate: string): string {
  const time = Date.parse(httpDate);
  return Number.isNaN(time) ? '' : new Date(time).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Runs every check that does not need the body; throws {@link UpstreamFailure}.
 */
export function verifyHead(req: IncomingMessage, rawPath: string, rawQuery: string, config: VerifierConfig): VerifiedHead {
  const headers = headerValues(req.rawHeaders);
  const header = (name: string): string | undefined => headers.get(name)?.[0];
  const query = parseQuery(rawQuery);
  const param = (name: string): string | undefined => query.find(([k]) => k === name)?.[1];

  let claim: SignatureClaim;
  let amzDate: string;
  let authMode: 'header' | 'presigned';
  let expires = 0;
  const authorization = header('authorization');
  if (authorization !== undefined) {
    authMode = 'header';
    const parsed = parseAuthorization(authorization);
    if (typeof parsed === 'string') throw new UpstreamFailure(400, codes(true).malformed, parsed);
    claim = parsed;
    amzDate = header('x-amz-date') ?? toAmzDate(header('date') ?? '');
  } else if (param('X-Amz-Algorithm') !== undefined) {
    authMode = 'presigned';
    if (param('X-Amz-Algorithm') !== ALGORITHM) {
      throw new UpstreamFailure(400, 'AuthorizationQueryParametersError', `unsupported X-Amz-Algorithm ${param('X-Amz-Algorithm')}`);
    }
    const credential = parseCredential(param('X-Amz-Credential') ?? '');
    if (typeof credential === 'string') throw new UpstreamFailure(400, 'AuthorizationQueryParametersError', credential);
    claim = {
      credential,
      signedHeaders: (param('X-Amz-SignedHeaders') ?? '').split(';'),
      signature: param('X-Amz-Signature') ?? '',
    };
    amzDate = param('X-Amz-Date') ?? '';
    expires = Number(param('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_SECONDS) {
      throw new UpstreamFailure(400, 'AuthorizationQueryParametersError', `X-Amz-Expires must be 1..${MAX_PRESIGN_SECONDS} seconds`);
    }
  } else {
    throw new UpstreamFailure(403, codes(true).missing, 'the request carries no SigV4 signature');
  }

  const { credential } = claim;
  const s3 = credential.service === 's3';
  const code = codes(s3);
  if (credential.accessKeyId !== config.accessKeyId) {
    throw new UpstreamFailure(403, code.badKey, `unknown access key ${credential.accessKeyId}`);
  }
  const token = authMode === 'header' ? header('x-amz-security-token') : param('X-Amz-Security-Token');
  if (token !== config.sessionToken) {
    throw new UpstreamFailure(403, code.badToken, token === undefined ? 'the session token is missing' : 'the session token does not match');
  }

  const signedAt = parseAmzDate(amzDate);
  if (Number.isNaN(signedAt)) throw new UpstreamFailure(400, code.malformed, `bad request date "${amzDate}"`);
  if (amzDate.slice(0, 8) !== credential.date) {
    throw new UpstreamFailure(400, code.malformed, `credential date ${credential.date} is not the request date ${amzDate}`);
  }
  const now = config.now();
  if (authMode === 'header' && Math.abs(now - signedAt) > config.maxClockSkewMs) {
    throw new UpstreamFailure(403, code.skewed, `request time ${amzDate} is too far from the server time`);
  }
  if (authMode === 'presigned') {
    if (now > signedAt + expires * 1000) throw new UpstreamFailure(403, 'AccessDenied', 'Request has expired');
    if (signedAt - now > config.maxClockSkewMs) throw new UpstreamFailure(403, 'AccessDenied', 'Request is not valid yet');
  }

  if (!claim.signedHeaders.includes('host')) {
    throw new UpstreamFailure(403, code.badSignature, 'the host header is not signed');
  }
  if (s3) {
    // S3 refuses x-amz-* headers that were added after signing.
    const unsigned = [...headers.keys()].filter((name) => name.startsWith('x-amz-') && !claim.signedHeaders.includes(name));
    const exempt = authMode === 'header' ? [] : ['x-amz-content-sha256'];
    const offending = unsigned.filter((name) => !exempt.includes(name));
    if (offending.length > 0) {
      throw new UpstreamFailure(403, 'AccessDenied', `There were headers present in the request which were not signed: ${offending.join(', ')}`);
    }
  }
  const block = canonicalHeaders(headers, claim.signedHeaders);
  if (typeof block !== 'string') throw new UpstreamFailure(403, code.badSignature, `signed header ${block.missing} is not in the request`);

  const declared = header('x-amz-content-sha256');
  let payloadHash: string | undefined;
  let payloadMode: string;
  let bodyMode: BodyMode = 'raw';
  if (declared === undefined) {
    if (s3 && authMode === 'header') {
      throw new UpstreamFailure(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    }
    payloadHash = s3 ? UNSIGNED_PAYLOAD : undefined;
    payloadMode = s3 ? UNSIGNED_PAYLOAD : 'body';
  } else {
    payloadHash = declared;
    payloadMode = declared;
    if (declared === STREAMING_SIGNED) bodyMode = 'signed-chunks';
    else if (declared === STREAMING_SIGNED_TRAILER) bodyMode = 'signed-chunks-trailer';
    else if (declared === STREAMING_UNSIGNED_TRAILER) bodyMode = 'unsigned-chunks-trailer';
    else if (declared !== UNSIGNED_PAYLOAD && !HEX64.test(declared)) {
      throw new UpstreamFailure(400, 'InvalidArgument', `x-amz-content-sha256 "${declared}" is not a SHA-256 or a payload mode this peer knows`);
    }
  }

  const uri = canonicalUri(rawPath, credential.service);
  const canonicalQueryString = canonicalQuery(query);
  return {
    authMode,
    credential,
    signature: claim.signature,
    amzDate,
    key: signingKey(config.secretAccessKey, credential),
    payloadHash,
    payloadMode,
    bodyMode,
    declaredSha256: declared !== undefined && HEX64.test(declared) ? declared : undefined,
    canonical: (hash) =>
      canonicalRequest({
        method: req.method ?? 'GET',
        uri,
        query: canonicalQueryString,
        headers: block,
        signedHeaders: claim.signedHeaders,
        payloadHash: hash,
      }),
  };
}

/** Recomputes the request signature for a payload hash; throws when it differs. */
export function checkSignature(head: VerifiedHead, payloadHash: string): string {
  const canonical = head.canonical(payloadHash);
  const expected = requestSignature(head.key, head.amzDate, head.credential.scope, canonical);
  if (!signaturesEqual(expected, head.signature)) {
    throw new UpstreamFailure(403, codes(head.credential.service === 's3').badSignature, 'the request signature does not match');
  }
  return canonical;
}
