/**
 * Hand-made calls as an agent would send them to the sidecar's explicit
 * listener: signed with the agent's ephemeral credentials by
 * `@smithy/signature-v4`, ready for `sendRaw` — or to be mutated first.
 */
import type { RawRequest } from './raw-http.js';
import { signRequest, type Credentials } from './sigv4/signer.js';

/** One call to sign. */
export interface CallSpec {
  /** Signing name: `s3`, `dynamodb`, `sts` … */
  service: string;
  method: string;
  /** Path and query, as sent. */
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  region?: string;
  signingDate?: Date;
  /** S3: sign `UNSIGNED-PAYLOAD`. */
  unsignedPayload?: boolean;
}

/**
 * Signs `spec` for `baseUrl` (`http://127.0.0.1:PORT`). A body gets its
 * Content-Length before signing, as SDKs do.
 *
 * @example
 * const req = await signedCall(sidecarUrl, creds, { service: 's3', method: 'PUT', path: '/b/k', body: 'hi' });
 * const res = await sendRaw(sidecarUrl, req);
 */
export async function signedCall(baseUrl: string, credentials: Credentials, spec: CallSpec): Promise<RawRequest & { body?: Buffer }> {
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  const headers: Record<string, string> = { ...spec.headers };
  if (body !== undefined) headers['content-length'] = String(body.length);
  const signed = await signRequest(
    { method: spec.method, url: `${baseUrl}${spec.path}`, headers, ...(body === undefined ? {} : { body }) },
    {
      service: spec.service,
      region: spec.region ?? 'us-east-1',
      credentials,
      ...(spec.signingDate === undefined ? {} : { signingDate: spec.signingDate }),
      ...(spec.unsignedPayload === true ? { unsignedPayload: true } : {}),
    },
  );
  return { method: spec.method, path: spec.path, headers: signed.headers, ...(body === undefined ? {} : { body }) };
}

/** A DynamoDB (JSON 1.0 protocol) call: `X-Amz-Target` and a JSON body. */
export function dynamoDbCall(operation: string, input: unknown = {}): CallSpec {
  return {
    service: 'dynamodb',
    method: 'POST',
    path: '/',
    body: JSON.stringify(input),
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` },
  };
}

/** A query-protocol call (STS, IAM, SNS …): a form body with `Action`. */
export function queryCall(service: string, action: string, version: string): CallSpec {
  return {
    service,
    method: 'POST',
    path: '/',
    body: `Action=${action}&Version=${version}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
  };
}

/** Serialises a request head exactly as given (`host` must be among the headers). */
export function requestHead(req: { method: string; path: string; headers: Record<string, string> }): string {
  return `${req.method} ${req.path} HTTP/1.1\r\n${Object.entries(req.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}
