/**
 * What the test upstream records about each request, and what it learnt from a body.
 */

/** One request as the upstream saw and judged it. */
export interface UpstreamRequest {
  method: string;
  /** The path exactly as received (percent-encoded). */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  /** Received headers, lower-case names, repeats joined with ','. */
  headers: Record<string, string>;
  /** Credential scope service (`s3`, `lambda`, …); empty when unsigned. */
  service: string;
  region: string;
  accessKeyId: string;
  /** From `X-Amz-Target`, `Action=` or the JS SDK's `x-id=`, when present. */
  operation?: string;
  authMode: 'header' | 'presigned' | 'none';
  /**
   * The `x-amz-content-sha256` value (a hex hash, `UNSIGNED-PAYLOAD`, `STREAMING-…`),
   * `UNSIGNED-PAYLOAD` for a presigned S3 URL, or `body` when the signature
   * covered the body's own hash.
   */
  payloadMode: string;
  /** Hex SHA-256 of the decoded body (after aws-chunked decoding). */
  bodySha256: string;
  /** Decoded body bytes. */
  bytes: number;
  /** Body bytes on the wire (chunk framing included). */
  wireBytes: number;
  /** aws-chunked chunks, the final empty one included. */
  chunks?: number;
  /** aws-chunked trailing headers (signature excluded). */
  trailers?: Record<string, string>;
  /** Checksums (header or trailer) that were verified against the body, by header name. */
  checksums: Record<string, string>;
  /** The canonical request the upstream computed, for debugging a mismatch. */
  canonicalRequest?: string;
  verified: boolean;
  /** The status the upstream answered. */
  status: number;
  /** AWS error code of a refusal. */
  code?: string;
  /** Why it was refused. */
  reason?: string;
}

/** A body as received: hashes, checksums, trailers and where it was kept. */
export interface ReceivedBody {
  sha256: string;
  md5: string;
  bytes: number;
  /** Computed base64 checksums, by header name. */
  computed: Map<string, string>;
  trailers: Record<string, string>;
  file?: string;
}
