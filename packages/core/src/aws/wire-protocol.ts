import { parseAwsHost, type AwsHost } from './aws-host.js';
import { parseForm } from './request-params.js';
import { modelsForEndpointPrefix, modelsForSigningName, type ServiceModel } from './service-catalog.js';
import type { AwsProtocol, OperationRequest } from './types.js';

/** How a request addresses its operation, decided before the operation is read. */
export type WireForm =
  | { kind: 'json'; target: string }
  | { kind: 'cbor' }
  | { kind: 'query'; action: string | undefined; form: Map<string, string[]> | undefined }
  | { kind: 'rest' }
  | { kind: 'none' };

/** The models a request may be for, and the host it named. */
export interface Addressing {
  /** Lower-case signing name (from the request, else from its Authorization / presigned credential). */
  signingName: string;
  host: AwsHost | undefined;
  /** Candidate models: by signing name, narrowed by the host's endpoint prefix when that helps. */
  models: readonly ServiceModel[];
}

const NONE: readonly ServiceModel[] = [];

/** Resolves the candidate models of a request. */
export function addressing(req: Pick<OperationRequest, 'signingName' | 'host' | 'headers' | 'query'>): Addressing {
  const signingName = (req.signingName !== '' ? req.signingName : scopeService(req)).toLowerCase();
  const host = parseAwsHost(req.host);
  let models = signingName === '' ? NONE : modelsForSigningName(signingName);
  if (host !== undefined) {
    if (models.length > 1) {
      const narrowed = models.filter((m) => m.endpointPrefix === host.endpointPrefix);
      if (narrowed.length > 0) models = narrowed;
    } else if (models.length === 0 && signingName === '') {
      models = modelsForEndpointPrefix(host.endpointPrefix);
    }
  }
  return { signingName, host, models };
}

/**
 * Reads the wire form: `X-Amz-Target` (JSON), `smithy-protocol: rpc-v2-cbor`,
 * `Action=` in the query or form body (query / EC2, and SQS's old form), else a
 * REST route. A form only counts when one of the candidate models speaks it, so
 * an S3 object listing with a stray `Action` parameter stays REST. A request
 * carrying both a target and an action is `none`: which one the service obeys
 * is not ours to guess.
 */
export function wireForm(req: OperationRequest, models: readonly ServiceModel[]): WireForm {
  const unknown = models.length === 0;
  const target = req.headers['x-amz-target'];
  const speaksQuery = unknown || models.some((m) => m.query !== undefined);
  let action: string | undefined;
  let form: Map<string, string[]> | undefined;
  let actions = 0; // distinct Action values
  if (speaksQuery) {
    const note = (v: string): void => {
      if (actions === 0 || v !== action) actions++;
      action = v;
    };
    for (const [k, v] of req.query) if (k === 'Action') note(v);
    if (req.body !== undefined && req.body.length > 0 && isForm(req.headers['content-type'])) {
      form = parseForm(req.body);
      for (const v of form?.get('Action') ?? []) note(v);
    }
  }
  if (target !== undefined && (unknown || models.some((m) => m.json))) {
    return actions > 0 ? { kind: 'none' } : { kind: 'json', target };
  }
  if (req.headers['smithy-protocol'] === 'rpc-v2-cbor' && (unknown || models.some((m) => m.cbor))) return { kind: 'cbor' };
  if (actions > 0) return { kind: 'query', action: actions === 1 ? action : undefined, form };
  if (models.some((m) => m.rest !== undefined)) return { kind: 'rest' };
  return { kind: 'none' };
}

function isForm(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.toLowerCase().startsWith('application/x-www-form-urlencoded');
}

/**
 * The protocol to answer a request in when its operation is not (yet) known,
 * e.g. for an authentication failure: the wire form it used, else its
 * service's preferred protocol, else JSON (whose errors carry both the
 * `x-amzn-ErrorType` header and a `__type` body, so REST-JSON parsers read them
 * too).
 */
export function protocolFor(req: Pick<OperationRequest, 'signingName' | 'host' | 'headers' | 'query'> & { body?: Buffer | undefined }): AwsProtocol {
  try {
    const { models } = addressing(req);
    const headers = req.headers;
    const json = models.length === 0 || models.some((m) => m.json);
    if (headers['x-amz-target'] !== undefined && json) return 'json';
    if (headers['smithy-protocol'] === 'rpc-v2-cbor' && (models.length === 0 || models.some((m) => m.cbor))) return 'smithy-rpc-v2-cbor';
    const queryModel = models.find((m) => m.query !== undefined);
    const hasAction = req.query.some(([k]) => k === 'Action') || isForm(headers['content-type']);
    if (hasAction && (queryModel !== undefined || models.length === 0)) return queryModel?.query ?? 'query';
    const rest = models.find((m) => m.rest !== undefined);
    if (rest?.rest !== undefined) return rest.rest;
    return models[0]?.protocol ?? 'json';
  } catch {
    return 'json';
  }
}

/** The service of the SigV4 credential scope in `Authorization` or `X-Amz-Credential`. */
function scopeService(req: Pick<OperationRequest, 'headers' | 'query'>): string {
  let credential: string | undefined;
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const at = auth.indexOf('Credential=');
    if (at !== -1) {
      const end = auth.indexOf(',', at);
      credential = auth.slice(at + 11, end === -1 ? undefined : end).trim();
    }
  } else {
    credential = req.query.find(([k]) => k === 'X-Amz-Credential')?.[1];
  }
  const parts = credential?.split('/');
  return parts !== undefined && parts.length === 5 ? (parts[3] as string) : '';
}
