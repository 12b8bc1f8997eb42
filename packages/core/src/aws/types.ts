/**
 * The AWS request model shared by the data path, the policy engine and the audit
 * trail.
 */

/**
 * Wire protocols of AWS services, as botocore's `metadata.protocol(s)` names them.
 * `smithy-rpc-v2-cbor` is the first protocol of CloudWatch, GameLift, Snowball …
 * in current models; SDKs that support it send it (CBOR bodies, operation in the
 * path), so errors for those calls must be CBOR too.
 */
export type AwsProtocol = 'json' | 'query' | 'ec2' | 'rest-json' | 'rest-xml' | 'smithy-rpc-v2-cbor';

/** What operation extraction needs from an incoming call. */
export interface OperationRequest {
  method: string;
  /** The path exactly as sent on the wire (percent-encoded), without the query. */
  path: string;
  /** Decoded query parameters, in wire order. */
  query: ReadonlyArray<readonly [string, string]>;
  /** Request headers, lower-case names; repeated headers joined with ','. */
  headers: Readonly<Record<string, string | undefined>>;
  /**
   * The AWS host the caller addressed (from TLS interception or the Host header
   * of a proxied request); empty in endpoint mode, where only the credential
   * scope tells the service.
   */
  host: string;
  /** Service name of the SigV4 credential scope (the signing name). */
  signingName: string;
  /** Region of the SigV4 credential scope. */
  region: string;
  /**
   * The request body when the data path buffered it (small JSON / query bodies);
   * undefined for streamed bodies.
   */
  body?: Buffer | undefined;
  /** Account id of the upstream credentials, used in derived ARNs; `*` when unknown. */
  account?: string | undefined;
}

/** The operation a call performs, named as CloudTrail's eventName records it. */
export interface AwsOperation {
  /** IAM service prefix (`s3`, `dynamodb`, `cloudwatch` for `monitoring` …). */
  service: string;
  /** API operation name (`ListObjectsV2`), or `Unknown` when it cannot be told. */
  operation: string;
  /** `service:Operation`. */
  action: string;
  protocol: AwsProtocol;
  region: string;
  /** ARNs of the resources the call touches where derivable, else `['*']`. */
  resources: string[];
  /**
   * Origin (`https://host`) of the AWS endpoint that serves the call: the host the
   * caller addressed when known, else derived from the matched service model
   * (endpoint prefix, operation host prefix, partition). Endpoint mode forwards
   * here; the signing name alone cannot tell `bedrock` from `bedrock-runtime`.
   */
  endpoint?: string;
}
