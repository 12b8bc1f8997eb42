/**
 * A client-side SigV4 signer for tests, built on `@smithy/signature-v4` — the
 * signer the JS SDK itself uses — so hand-made requests are signed the way a
 * real client signs them, independently of AgentRail's own signing code.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Hash, Hmac } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 / HMAC-SHA-256 from node:crypto in the shape smithy's signer expects. */
export class NodeSha256 {
  private readonly hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }

  update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
}

/** AWS credentials as the SDKs name them. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A request to sign; `url` keeps its path exactly as written (no URL normalisation). */
export interface SignableRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** How to sign it. */
export interface SigningParams {
  service: string;
  region: string;
  credentials: Credentials;
  /** Defaults to now. */
  signingDate?: Date;
  /** S3 only: sign `UNSIGNED-PAYLOAD` instead of the body's SHA-256. */
  unsignedPayload?: boolean;
}

/** A signed request, ready for `fetch` or `node:http`. */
export interface SignedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

interface SplitUrl {
  protocol: string;
  authority: string;
  hostname: string;
  port?: number;
  path: string;
  rawQuery: string;
}

/** Splits a URL by hand: `new URL()` would resolve `..` and re-encode the path. */
function splitUrl(url: string): SplitUrl {
  const match = /^(https?:)\/\/([^/?#]+)([^?#]*)(?:\?([^#]*))?/.exec(url);
  if (match === null) throw new Error(`not an http(s) URL: ${url}`);
  const [, protocol = 'http:', authority = '', path = '', rawQuery = ''] = match;
  const hostPort = /^(.*?)(?::(\d+))?$/.exec(authority);
  const hostname = hostPort?.[1] ?? authority;
  const port = hostPort?.[2] === undefined ? undefined : Number(hostPort[2]);
  return { protocol, authority, hostname, port, path: path === '' ? '/' : path, rawQuery };
}

function decodeQuery(rawQuery: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else query[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return query;
}

function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function encodeQuery(query: Record<string, string | Array<string | null> | null>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    for (const v of Array.isArray(value) ? value : [value]) parts.push(`${uriEncode(key)}=${uriEncode(v ?? '')}`);
  }
  return parts.join('&');
}

function toHttpRequest(req: SignableRequest, params: SigningParams): HttpRequest {
  const url = splitUrl(req.url);
  const headers: Record<string, string> = { host: url.authority, ...req.headers };
  if (params.unsignedPayload === true) headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
  return new HttpRequest({
    method: req.method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port,
    path: url.path,
    query: decodeQuery(url.rawQuery),
    headers,
    body: req.body,
  });
}

function signer(params: SigningParams): SignatureV4 {
  const s3 = params.service === 's3';
  return new SignatureV4({
    service: params.service,
    region: params.region,
    credentials: params.credentials,
    sha256: NodeSha256,
    // S3 signs the path as sent and always declares the payload hash in a header.
    uriEscapePath: !s3,
    applyChecksum: s3,
  });
}

/**
 * Signs a request with an `Authorization` header, as an SDK would.
 *
 * @example
 * const signed = await signRequest(
 *   { method: 'POST', url: `${moto.endpoint}/`, body: 'Action=GetCallerIdentity&Version=2011-06-15',
 *     headers: { 'content-type': 'application/x-www-form-urlencoded' } },
 *   { service: 'sts', region: 'us-east-1', credentials });
 * const res = await fetch(signed.url, signed);
 */
export async function signRequest(req: SignableRequest, params: SigningParams): Promise<SignedRequest> {
  const signed = await signer(params).sign(toHttpRequest(req, params), { signingDate: params.signingDate ?? new Date() });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name] = String(value);
  return { method: req.method, url: req.url, headers, body: req.body };
}

/**
 * Makes a presigned URL (query-string auth), as `@aws-sdk/s3-request-presigner` does.
 */
export async function presignUrl(
  req: SignableRequest,
  params: SigningParams & { expiresIn?: number },
): Promise<string> {
  const unsigned = params.service === 's3' || params.unsignedPayload === true;
  const request = toHttpRequest(req, { ...params, unsignedPayload: unsigned });
  // The header only tells smithy which payload hash to use; a presigned URL carries
  // neither the header nor a query parameter for it (S3 assumes UNSIGNED-PAYLOAD).
  const payloadHeader = new Set(unsigned ? ['x-amz-content-sha256'] : []);
  const presigned = await signer(params).presign(request, {
    signingDate: params.signingDate ?? new Date(),
    expiresIn: params.expiresIn ?? 900,
    unsignableHeaders: payloadHeader,
    unhoistableHeaders: payloadHeader,
  });
  const url = splitUrl(req.url);
  return `${url.protocol}//${url.authority}${url.path}?${encodeQuery(presigned.query ?? {})}`;
}
