import type { Dispatcher } from 'undici';
import type { SigningCredentials } from '@agentrail/core';
import { stsQuery } from './sts-query.js';

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
  const answer = await stsQuery([['Action', 'GetCallerIdentity'], ['Version', '2011-06-15']], opts.credentials, opts);
  if (answer.status !== 200) throw new Error(`STS GetCallerIdentity failed: ${answer.field('Code') ?? `HTTP ${answer.status}`}`);
  const field = (name: string): string => {
    const v = answer.field(name);
    if (v === undefined) throw new Error(`STS GetCallerIdentity answer has no ${name}`);
    return v;
  };
  return { arn: field('Arn'), account: field('Account'), userId: field('UserId') };
}
