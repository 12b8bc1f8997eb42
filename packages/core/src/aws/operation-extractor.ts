import type { AwsHost } from './aws-host.js';
import { partitionOf } from './aws-partitions.js';
import { modelEndpoint, resolveEndpoint } from './endpoint-resolver.js';
import { formParams, jsonParams, NO_PARAMS, type RequestParams } from './request-params.js';
import { deriveResources } from './resource-arns.js';
import { RestRouter, type RouteMatch } from './rest-router.js';
import { iamPrefixFor, type ServiceModel } from './service-catalog.js';
import type { AwsOperation, AwsProtocol, OperationRequest } from './types.js';
import { addressing, wireForm } from './wire-protocol.js';

/** The operation name of a call whose operation cannot be told. */
export const UNKNOWN_OPERATION = 'Unknown';

// Operation names are identifiers; anything else is refused rather than passed
// on to policy matching (`*` in a caller-chosen name would act as a glob).
const OPERATION_NAME = /^[A-Za-z][A-Za-z0-9_]{0,127}$/;
const SERVICE_NAME = /^[a-z0-9][a-z0-9.-]{0,62}$/;

interface Resolved {
  model: ServiceModel | undefined;
  operation: string;
  protocol: AwsProtocol;
  params: RequestParams;
  labels: Readonly<Record<string, string>>;
  hostPrefix?: string | undefined;
  path?: string;
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Names the AWS operation of a call — `s3:ListObjectsV2`, `iam:CreateUser` — the
 * way CloudTrail's eventName records it, with the ARNs it touches where the
 * request tells them. The service is the credential scope's signing name mapped
 * to its IAM prefix (the host narrows services sharing a signing name); the
 * operation comes from `X-Amz-Target` (JSON), `Action=` (query / EC2, and SQS's
 * old form), the path of RPC v2 CBOR, or method + path + query + headers matched
 * against the service's REST routes, S3 virtual-hosted requests turned into path
 * style first. Never throws: what cannot be told is `Unknown`, resources `*`.
 *
 * @example
 * extractOperation({ method: 'GET', path: '/reports', query: [['list-type', '2']], headers: {},
 *   host: '', signingName: 's3', region: 'us-east-1' })
 * // → { service: 's3', operation: 'ListObjectsV2', action: 's3:ListObjectsV2',
 * //     resources: ['arn:aws:s3:::reports'], … }
 */
export function extractOperation(req: OperationRequest): AwsOperation {
  try {
    return extract(req);
  } catch {
    return unknown(req, 'json', '');
  }
}

function extract(req: OperationRequest): AwsOperation {
  const { signingName, host, models } = addressing(req);
  const form = wireForm(req, models);
  const fallback = models[0];
  let resolved: Resolved | undefined;
  switch (form.kind) {
    case 'json':
      resolved = fromTarget(form.target, models, req.body);
      break;
    case 'cbor':
      resolved = fromCborPath(req.path, models);
      break;
    case 'query':
      resolved = fromAction(form.action, models, req, form.form);
      break;
    case 'rest':
      resolved = fromRoute(req, models, host, signingName);
      break;
    case 'none':
      break;
  }
  const service = serviceName(signingName, resolved?.model ?? fallback);
  const region = req.region !== '' ? req.region : (host?.region ?? '');
  if (resolved === undefined || resolved.operation === UNKNOWN_OPERATION) {
    const protocol = resolved?.protocol ?? protocolOf(form.kind, fallback);
    const endpoint = endpointOf(host, resolved?.model ?? fallback, region) ?? unknownEndpoint(signingName, region);
    return unknown(req, protocol, service, region, endpoint);
  }
  const partition = partitionOf(region).id;
  const resources = deriveResources({
    service,
    operation: resolved.operation,
    partition,
    region,
    account: req.account !== undefined && req.account !== '' ? req.account : '*',
    req: resolved.path === undefined ? req : { ...req, path: resolved.path },
    host,
    params: resolved.params,
    labels: resolved.labels,
  });
  const op: AwsOperation = {
    service,
    operation: resolved.operation,
    action: `${service}:${resolved.operation}`,
    protocol: resolved.protocol,
    region,
    resources,
  };
  const endpoint =
    endpointOf(host, resolved.model, region, resolved.hostPrefix, req, resolved.labels) ?? (resolved.model === undefined ? unknownEndpoint(signingName, region) : undefined);
  if (endpoint !== undefined) op.endpoint = endpoint;
  return op;
}

function fromTarget(target: string, models: readonly ServiceModel[], body: Buffer | undefined): Resolved {
  const dot = target.lastIndexOf('.');
  const prefix = dot === -1 ? '' : target.slice(0, dot);
  const name = target.slice(dot + 1);
  // With a known service, the prefix must be its own: `DynamoDB_20120810.GetItem`.
  const model = models.length === 0 ? undefined : models.find((m) => m.json && m.data.targetPrefix === prefix);
  const valid = (models.length === 0 || model !== undefined) && OPERATION_NAME.test(name);
  const protocol: AwsProtocol = 'json';
  if (!valid) return { model: model ?? models[0], operation: UNKNOWN_OPERATION, protocol, params: NO_PARAMS, labels: NO_LABELS };
  return { model, operation: name, protocol, params: jsonParams(body), labels: NO_LABELS, hostPrefix: hostPrefixOf(model, name) };
}

/** Smithy RPC v2: `POST /service/{ServiceName}/operation/{Operation}`. */
function fromCborPath(path: string, models: readonly ServiceModel[]): Resolved {
  const parts = path.split('/');
  const model = models.find((m) => m.cbor && m.data.targetPrefix === parts[2]) ?? models.find((m) => m.cbor);
  const protocol: AwsProtocol = 'smithy-rpc-v2-cbor';
  const name = parts[4] ?? '';
  const valid = parts.length === 5 && parts[0] === '' && parts[1] === 'service' && parts[3] === 'operation' && OPERATION_NAME.test(name);
  // The CBOR body is not decoded: resources stay `*` for these services.
  return { model, operation: valid ? name : UNKNOWN_OPERATION, protocol, params: NO_PARAMS, labels: NO_LABELS };
}

function fromAction(
  action: string | undefined,
  models: readonly ServiceModel[],
  req: OperationRequest,
  form: Map<string, string[]> | undefined,
): Resolved {
  const speakers = models.filter((m) => m.query !== undefined);
  // ELB and ELBv2 share an endpoint and tell apart by `Version`.
  const version = req.query.find(([k]) => k === 'Version')?.[1] ?? form?.get('Version')?.[0];
  const model = speakers.find((m) => m.data.apiVersion === version) ?? speakers[0];
  const protocol: AwsProtocol = model?.query ?? 'query';
  if (action === undefined || !OPERATION_NAME.test(action)) {
    return { model, operation: UNKNOWN_OPERATION, protocol, params: NO_PARAMS, labels: NO_LABELS };
  }
  return { model, operation: action, protocol, params: formParams(req.query, form), labels: NO_LABELS, hostPrefix: hostPrefixOf(model, action) };
}

function fromRoute(req: OperationRequest, models: readonly ServiceModel[], host: AwsHost | undefined, signingName: string): Resolved {
  const rest = models.filter((m) => m.rest !== undefined);
  let path = req.path === '' ? '/' : req.path;
  // Virtual-hosted S3 (`bucket.s3.region.amazonaws.com/key`) → path style (`/bucket/key`).
  const hostBucket = host?.bucket ?? host?.accessPoint?.name;
  const s3 = hostBucket !== undefined && rest.some((m) => m.id === 's3');
  if (s3) path = `/${hostBucket}${path}`;
  const match: RouteMatch | undefined = RestRouter.forModels(rest).match({
    method: req.method.toUpperCase(),
    path,
    query: req.query,
    headers: req.headers,
    signingName,
  });
  const protocol: AwsProtocol = match?.model.rest ?? rest[0]?.rest ?? 'rest-json';
  if (match === undefined) return { model: rest[0], operation: UNKNOWN_OPERATION, protocol, params: NO_PARAMS, labels: NO_LABELS };
  const params = protocol === 'rest-json' && !match.opaqueBody ? jsonParams(req.body) : NO_PARAMS;
  const resolved: Resolved = { model: match.model, operation: match.operation, protocol, params, labels: match.labels, hostPrefix: match.hostPrefix };
  if (s3) resolved.path = path;
  return resolved;
}

/** Host prefix of an RPC operation (own keys only: the name came from the caller). */
function hostPrefixOf(model: ServiceModel | undefined, operation: string): string | undefined {
  const prefixes = model?.data.hostPrefixes;
  return prefixes !== undefined && Object.hasOwn(prefixes, operation) ? prefixes[operation] : undefined;
}

function serviceName(signingName: string, model: ServiceModel | undefined): string {
  if (signingName !== '' && SERVICE_NAME.test(signingName)) return iamPrefixFor(signingName);
  return model?.iamPrefix ?? 'unknown';
}

function protocolOf(kind: string, model: ServiceModel | undefined): AwsProtocol {
  if (kind === 'json') return 'json';
  if (kind === 'cbor') return 'smithy-rpc-v2-cbor';
  if (kind === 'query') return model?.query ?? 'query';
  return model?.rest ?? model?.protocol ?? 'json';
}

function endpointOf(
  host: AwsHost | undefined,
  model: ServiceModel | undefined,
  region: string,
  hostPrefix?: string,
  req?: OperationRequest,
  labels?: Readonly<Record<string, string>>,
): string | undefined {
  if (host !== undefined) return `https://${host.host}`;
  if (model === undefined) return undefined;
  return modelEndpoint(model, region, hostPrefix, (kind, name) => {
    if (kind === 'h') return req?.headers[name];
    if (kind === 'l') return labels?.[name];
    return req?.query.find(([k]) => k === name)?.[1];
  });
}

/** A service botocore does not know yet: `https://{signingName}.{region}.{dnsSuffix}`. */
function unknownEndpoint(signingName: string, region: string): string | undefined {
  return signingName !== '' && SERVICE_NAME.test(signingName) ? resolveEndpoint(signingName, region) : undefined;
}

function unknown(req: OperationRequest, protocol: AwsProtocol, service: string, region = req.region, endpoint?: string): AwsOperation {
  const name = service !== '' ? service : 'unknown';
  const op: AwsOperation = {
    service: name,
    operation: UNKNOWN_OPERATION,
    action: `${name}:${UNKNOWN_OPERATION}`,
    protocol,
    region,
    resources: ['*'],
  };
  if (endpoint !== undefined) op.endpoint = endpoint;
  return op;
}
