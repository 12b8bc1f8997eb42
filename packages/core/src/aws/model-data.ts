/**
 * The shape of `generated/aws-models.ts`, written by
 * `scripts/generate-aws-routes.mjs` from botocore's service models.
 */

/** One AWS service (the newest API version botocore ships). */
export interface AwsServiceData {
  /** botocore's service name (its data directory): `s3`, `s3control`, `bedrock-runtime`. */
  id: string;
  /** SigV4 signing name (credential scope service), lower-case. */
  signingName: string;
  /** First DNS label(s) of the regional endpoint: `s3`, `api.ecr`, `streams.dynamodb`. */
  endpointPrefix: string;
  /** Protocols in the model's order of preference (`protocols`, else `[protocol]`). */
  protocols: string[];
  apiVersion: string;
  /** JSON / RPC v2 protocols: the `X-Amz-Target` prefix (`DynamoDB_20120810`). */
  targetPrefix?: string;
  /** JSON protocol: `1.0` or `1.1` (the content type `application/x-amz-json-1.x`). */
  jsonVersion?: string;
  /**
   * JSON services that used to speak query (SQS): old clients still send
   * `Action=` forms, and errors carry `x-amzn-query-error` with the query code.
   */
  queryCompatible?: boolean;
  /** The model's own global endpoint hint (`iam.amazonaws.com`). */
  globalEndpoint?: string;
  /** RPC protocols: operations served under a host prefix (`StartLiveTail` → `stream-`). */
  hostPrefixes?: Record<string, string>;
  /**
   * REST protocols: one route per line,
   * `METHOD URI OPERATION [q=k,k] [h=header,header] [p=hostPrefix] [x] [b]`, where
   * `q=` and `h=` name required members bound to the query string and headers,
   * `p=` the host prefix (labels as `{h:header}`, `{l:label}`, `{q:key}`), `x`
   * marks a route only the S3 Express control endpoint (signing name `s3express`)
   * serves and `b` one whose body is an opaque payload, not parameters.
   */
  routes?: string;
}

/** A service whose endpoint does not depend on the region (IAM, Route 53 …). */
export interface AwsGlobalEndpointData {
  hostname: string;
  /** Region of the credential scope the global endpoint signs with. */
  region: string;
}

/** An AWS partition: its regions and DNS suffixes. */
export interface AwsPartitionData {
  id: string;
  regionRegex: string;
  dnsSuffix: string;
  dualStackDnsSuffix: string;
  /** Region global services sign in (`us-east-1` for `aws`). */
  globalRegion: string;
  /** Global endpoints, keyed by endpoint prefix. */
  globalEndpoints: Record<string, AwsGlobalEndpointData>;
}

/** Everything the generator writes. */
export interface AwsModelCatalogData {
  botocoreVersion: string;
  /** `aws` first; a region no regex matches belongs to it. */
  partitions: AwsPartitionData[];
  /** Sorted by `id`. */
  services: AwsServiceData[];
}
