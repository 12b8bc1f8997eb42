/**
 * Real SDK requests for extraction tests: the AWS SDK for JavaScript v3 and
 * botocore build and sign each call, a hook captures it before it leaves the
 * process, and it becomes the OperationRequest the sidecar would see.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { OperationRequest } from '../types.js';

/** What both SDKs hand their HTTP layer. */
interface WireRequest {
  method: string;
  host: string;
  path: string;
  query: Array<[string, string]>;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

const SCOPE = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

/** The OperationRequest of a captured wire request; signing name and region from its signature. */
export function toOperationRequest(wire: WireRequest, account = '123456789012'): OperationRequest {
  const m = SCOPE.exec(wire.headers.authorization ?? '');
  return {
    method: wire.method,
    path: wire.path,
    query: wire.query,
    headers: wire.headers,
    host: wire.host,
    signingName: m?.[2] ?? '',
    region: m?.[1] ?? '',
    body: wire.body,
    account,
  };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function splitQuery(raw: string): Array<[string, string]> {
  if (raw === '') return [];
  return raw.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    return eq === -1 ? [decode(pair), ''] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))];
  });
}

/** A botocore call: `{service, operation: 'list_objects_v2', params, region?, config?}`. */
export interface BotocoreCall {
  service: string;
  operation: string;
  params?: Record<string, unknown>;
  region?: string;
  config?: Record<string, unknown>;
}

/** Builds and signs the calls with botocore (one Python process for all of them). */
export function botocoreRequests(calls: readonly BotocoreCall[]): OperationRequest[] {
  const script = fileURLToPath(new URL('./botocore_requests.py', import.meta.url));
  const run = spawnSync(process.env.PYTHON ?? 'python3', [script], { input: JSON.stringify(calls), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`botocore_requests.py failed: ${run.stderr}`);
  const out = JSON.parse(run.stdout) as Array<{ method: string; url: string; headers: Record<string, string>; body: string; error?: string }>;
  return out.map((r, i) => {
    if (r.error !== undefined) throw new Error(`botocore call ${JSON.stringify(calls[i])}: ${r.error}`);
    const url = /^https?:\/\/([^/]+)([^?]*)(?:\?(.*))?$/.exec(r.url);
    if (url === null) throw new Error(`unexpected url ${r.url}`);
    const body = Buffer.from(r.body, 'base64');
    return toOperationRequest({
      method: r.method,
      host: url[1] as string,
      path: url[2] === '' ? '/' : (url[2] as string),
      query: splitQuery(url[3] ?? ''),
      headers: r.headers,
      body: body.length > 0 ? body : undefined,
    });
  });
}

/** The part of a Smithy HttpRequest the capture reads. */
interface SmithyRequest {
  method: string;
  hostname: string;
  port?: number | undefined;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

class Captured extends Error {
  constructor(readonly request: SmithyRequest) {
    super('captured');
  }
}

/** A request handler that captures the signed request and aborts the call. */
export const capturingHandler = {
  handle(request: SmithyRequest): Promise<never> {
    return Promise.reject(new Captured(request));
  },
  updateHttpClientConfig(): void {},
  httpHandlerConfigs(): Record<string, never> {
    return {};
  },
};

/** Sends a command through a client built with `capturingHandler` and returns the wire request. */
export async function jsRequest(client: { send(command: never): Promise<unknown> }, command: unknown): Promise<OperationRequest> {
  try {
    await client.send(command as never);
  } catch (err) {
    if (err instanceof Captured) return fromSmithy(err.request);
    throw err;
  }
  throw new Error('the SDK sent nothing');
}

function fromSmithy(r: SmithyRequest): OperationRequest {
  const query: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(r.query ?? {})) {
    for (const value of Array.isArray(v) ? v : [v]) query.push([k, value ?? '']);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = v;
  let body: Buffer | undefined;
  if (typeof r.body === 'string') body = Buffer.from(r.body);
  // Copy the bytes without calling the SDK's string adapters (JsonBytesStringAdapter warns).
  else if (r.body instanceof Uint8Array) body = Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength);
  return toOperationRequest({
    method: r.method,
    host: r.port !== undefined ? `${r.hostname}:${r.port}` : r.hostname,
    path: r.path,
    query,
    headers,
    body: body !== undefined && body.length > 0 ? body : undefined,
  });
}
