export { parseSigV4, toAmzDate, amzDateToMs, ALGORITHM } from './authorization.js';
export type { SigV4Auth } from './authorization.js';
export { canonicalUri, canonicalQuery, canonicalRequestString, sha256Hex, stringToSign, EMPTY_SHA256 } from './canonical-request.js';
export { SigningKeyCache, deriveSigningKey } from './signing-key.js';
export { SigV4Error } from './sigv4-error.js';
export type { SigV4Fault } from './sigv4-error.js';
export { verifySignature, checkFreshness, signedHeaderValues, MAX_CLOCK_SKEW_MS } from './verifier.js';
export type { WireRequest } from './verifier.js';
export { signRequest } from './signer.js';
export type { SigningCredentials, OutgoingRequest, SignOptions, SignResult } from './signer.js';
export {
  AwsChunkedResigner, signChunk, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER,
} from './aws-chunked.js';
export type { AwsChunkedOptions, ChunkSigningContext } from './aws-chunked.js';
export { PayloadHashVerifier } from './payload-hash-verifier.js';
export { awsUriEncode, parseQuery, decodeQueryComponent } from './uri-encoding.js';
export { parseSigV2Presigned, verifySigV2Presigned, SIGV2_PARAMS } from './sigv2-presigned.js';
export type { SigV2Presigned } from './sigv2-presigned.js';
