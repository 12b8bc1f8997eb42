import { request, type Dispatcher } from 'undici';
import { SigningKeyCache, resolveEndpoint, sha256Hex, signRequest, type SigningCredentials } from '@agentrail/core';

export interface CallerIdentity {
  arn: string;
  account: string;
  userId: string;
}

/**
 * STS GetCallerIdentity with the gateway's own credentials: who the real
 * credentials belong to. Local mode makes it the initiator. One call at
 * start-up, never on the request path.
 */
export async function getCallerIdentity(opts: {
  credentials: SigningCredentials;
  region: string;
  /** Endpoint that replaces AWS (moto, a VPC endpoint); else STS's regional endpoint. */
  endpoint?: string;
  dispatcher?: Dispatcher;
  timeoutMs?: number;
}): Promise<CallerIdentity> {
  const base = new URL(opts.endpoint ?? resolveEndpoint('sts', opts.region) ?? `https://sts.${opts.region}.amazonaws.com`);
  const body = 'Action=GetCallerIdentity&Version=2011-06-15';
  const headers: Record<string, string> = { host: base.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'content-length': String(body.length) };
  signRequest({ method: 'POST', path: '/', query: [], headers }, opts.credentials, { region: opts.region, service: 'sts', payloadHash: sha256Hex(Buffer.from(body)), contentSha256Header: false }, new SigningKeyCache());
  const res = await request(new URL('/', base), {
    method: 'POST', headers, body,
    headersTimeout: opts.timeoutMs ?? 10_000, bodyTimeout: opts.timeoutMs ?? 10_000,
    ...(opts.dispatcher !== undefined ? { dispatcher: opts.dispatcher } : {}),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) {
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `HTTP ${res.statusCode}`;
    throw new Error(`STS GetCallerIdentity failed: ${code}`);
  }
  const field = (name: string): string => {
    const v = new RegExp(`<${name}>([^<]+)</${name}>`).exec(text)?.[1];
    if (v === undefined) throw new Error(`STS GetCallerIdentity answer has no ${name}`);
    return v;
  };
  return { arn: field('Arn'), account: field('Account'), userId: field('UserId') };
}
