import { AWS_MODELS } from './generated/aws-models.js';
import type { AwsServiceData } from './model-data.js';
import type { AwsProtocol } from './types.js';

/** A service model as the extractor uses it. */
export interface ServiceModel {
  readonly data: AwsServiceData;
  readonly id: string;
  readonly endpointPrefix: string;
  /** IAM service prefix (`cloudwatch` for signing name `monitoring`). */
  readonly iamPrefix: string;
  /** The model's preferred protocol (first of `protocols`). */
  readonly protocol: AwsProtocol;
  /** REST protocol when the model has routes (rest-json / rest-xml). */
  readonly rest: 'rest-json' | 'rest-xml' | undefined;
  /** Speaks JSON (`X-Amz-Target`). */
  readonly json: boolean;
  /** Speaks Smithy RPC v2 CBOR (`/service/S/operation/Op`). */
  readonly cbor: boolean;
  /** Accepts `Action=` requests: query / EC2 services and query-compatible JSON ones (SQS). */
  readonly query: 'query' | 'ec2' | undefined;
}

/**
 * Signing names whose IAM prefix differs. botocore knows signing names; IAM
 * policies and CloudTrail's eventSource use the service prefix. Everything not
 * listed here uses its signing name.
 */
const IAM_PREFIX: ReadonlyMap<string, string> = new Map([
  ['monitoring', 'cloudwatch'], // CloudWatch metrics/alarms sign as `monitoring`
  ['email', 'ses'], // SES v1 (query) signs as `email`
  ['tagging', 'tag'], // Resource Groups Tagging API
  ['iotdata', 'iot'], // IoT data plane (Publish, shadows)
  ['iot-jobs-data', 'iotjobsdata'],
  ['awsssoportal', 'sso'], // IAM Identity Center portal (GetRoleCredentials)
  ['mturk-requester', 'mechanicalturk'],
]);

/**
 * Signing names served by another service's model: S3 Express directory buckets
 * and S3 Object Lambda speak the S3 API but sign (and are authorised) under
 * their own names.
 */
const MODEL_ALIAS: ReadonlyMap<string, string> = new Map([
  ['s3express', 's3'],
  ['s3-object-lambda', 's3'],
]);

const SUPPORTED: ReadonlySet<string> = new Set(['json', 'query', 'ec2', 'rest-json', 'rest-xml', 'smithy-rpc-v2-cbor']);

function toModel(data: AwsServiceData): ServiceModel {
  const protocols = data.protocols.filter((p) => SUPPORTED.has(p)) as AwsProtocol[];
  const protocol = protocols[0] ?? 'json';
  const rest = protocols.find((p): p is 'rest-json' | 'rest-xml' => p === 'rest-json' || p === 'rest-xml');
  const ec2 = protocols.includes('ec2');
  return {
    data,
    id: data.id,
    endpointPrefix: data.endpointPrefix,
    iamPrefix: IAM_PREFIX.get(data.signingName) ?? data.signingName,
    protocol,
    rest: data.routes !== undefined ? rest : undefined,
    json: protocols.includes('json'),
    cbor: protocols.includes('smithy-rpc-v2-cbor'),
    query: ec2 ? 'ec2' : protocols.includes('query') || data.queryCompatible === true ? 'query' : undefined,
  };
}

const MODELS: readonly ServiceModel[] = AWS_MODELS.services.map(toModel);
const BY_SIGNING_NAME = new Map<string, ServiceModel[]>();
const BY_ENDPOINT_PREFIX = new Map<string, ServiceModel[]>();
const BY_ID = new Map<string, ServiceModel>();
for (const m of MODELS) {
  push(BY_SIGNING_NAME, m.data.signingName, m);
  push(BY_ENDPOINT_PREFIX, m.endpointPrefix, m);
  BY_ID.set(m.id, m);
}
for (const [alias, target] of MODEL_ALIAS) {
  const model = BY_ID.get(target);
  if (model !== undefined) BY_SIGNING_NAME.set(alias, [model]);
}
const BY_IAM_PREFIX = new Map<string, ServiceModel[]>();
for (const [signingName, models] of BY_SIGNING_NAME) {
  const prefix = IAM_PREFIX.get(signingName) ?? signingName;
  if (!BY_IAM_PREFIX.has(prefix)) BY_IAM_PREFIX.set(prefix, models);
}

function push(map: Map<string, ServiceModel[]>, key: string, m: ServiceModel): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [m]);
  else list.push(m);
}

const NONE: readonly ServiceModel[] = [];

/** Models signed under a signing name (several for `bedrock`, `s3`, `rds` …), sorted by id. */
export function modelsForSigningName(signingName: string): readonly ServiceModel[] {
  return BY_SIGNING_NAME.get(signingName) ?? NONE;
}

/** Models served under an endpoint prefix (`api.ecr`, `s3-control` …). */
export function modelsForEndpointPrefix(endpointPrefix: string): readonly ServiceModel[] {
  return BY_ENDPOINT_PREFIX.get(endpointPrefix) ?? NONE;
}

/** Models for a service named either way: signing name (`monitoring`) or IAM prefix (`cloudwatch`). */
export function modelsForService(service: string): readonly ServiceModel[] {
  return BY_SIGNING_NAME.get(service) ?? BY_IAM_PREFIX.get(service) ?? NONE;
}

/** A model by botocore id (`s3control`). */
export function modelById(id: string): ServiceModel | undefined {
  return BY_ID.get(id);
}

/** The IAM service prefix for a signing name (`monitoring` → `cloudwatch`). */
export function iamPrefixFor(signingName: string): string {
  return IAM_PREFIX.get(signingName) ?? signingName;
}

/** Version of botocore the catalog was generated from. */
export const AWS_MODELS_VERSION: string = AWS_MODELS.botocoreVersion;
