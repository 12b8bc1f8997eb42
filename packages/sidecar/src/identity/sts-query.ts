import { request, type Dispatcher } from 'undici';
import { SigningKeyCache, resolveEndpoint, sha256Hex, signRequest, type SigningCredentials } from '@agentrail/core';

/** Where and how an STS call goes. */
export interface StsTarget {
  region: string;
  /** Endpoint that replaces AWS (moto, a VPC endpoint); else STS's regional endpoint. */
  endpoint?: string | undefined;
  dispatcher?: Dispatcher | undefined;
  /** Headers and body timeout; default 10 s. */
  timeoutMs?: number | undefined;
  /** Signing keys to reuse across calls; default a fresh cache. */
  keys?: SigningKeyCache | undefined;
}

/** STS's answer: the HTTP status and the text of an XML element (the first of that name; undefined when absent). */
export interface StsAnswer {
  status: number;
  field: (name: string) => string | undefined;
}

/**
 * One signed call to the STS Query API (form-encoded POST to `/`), for the
 * gateway's own use (GetCallerIdentity, AssumeRole): never on the data path
 * for a call that needs no new credentials.
 */
export async function stsQuery(params: ReadonlyArray<readonly [string, string]>, credentials: SigningCredentials, target: StsTarget): Promise<StsAnswer> {
  const body = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  const base = new URL(target.endpoint ?? resolveEndpoint('sts', target.region) ?? `https://sts.${target.region}.amazonaws.com`);
  const headers: Record<string, string> = { host: base.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) };
  signRequest({ method: 'POST', path: '/', query: [], headers }, credentials, { region: target.region, service: 'sts', payloadHash: sha256Hex(Buffer.from(body)), contentSha256Header: false }, target.keys ?? new SigningKeyCache());
  const timeout = target.timeoutMs ?? 10_000;
  const res = await request(new URL('/', base), {
    method: 'POST', headers, body, headersTimeout: timeout, bodyTimeout: timeout,
    ...(target.dispatcher !== undefined ? { dispatcher: target.dispatcher } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, field: (name) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(text)?.[1] };
}
