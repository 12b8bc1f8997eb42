import type { AwsHost } from './aws-host.js';
import type { RequestParams } from './request-params.js';
import type { OperationRequest } from './types.js';

/** What a resource deriver knows about one call. */
export interface ResourceContext {
  /** IAM service prefix. */
  readonly service: string;
  readonly operation: string;
  readonly partition: string;
  readonly region: string;
  /** Account of the upstream credentials, `*` when unknown. */
  readonly account: string;
  readonly req: OperationRequest;
  readonly host: AwsHost | undefined;
  /** Body / form parameters (parsed on first use). */
  readonly params: RequestParams;
  /** REST path labels as sent (percent-encoded), by name. */
  readonly labels: Readonly<Record<string, string>>;
}

/** Derives the resource ARNs of one service's calls; an empty list means `*`. */
export type ResourceDeriver = (ctx: ResourceContext) => string[];

/** `arn:partition:service:region:account:resource`. */
export function arn(ctx: ResourceContext, service: string, resource: string, region = ctx.region, account = ctx.account): string {
  return `arn:${ctx.partition}:${service}:${region}:${account}:${resource}`;
}

/** Percent-decodes a path label; a malformed escape keeps the raw text. */
export function decode(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** A decoded path label, if the route has it. */
export function label(ctx: ResourceContext, name: string): string | undefined {
  const raw = ctx.labels[name];
  return raw === undefined ? undefined : decode(raw);
}

/** True for a value that already is an ARN (callers may pass one where a name would do). */
export const isArn = (v: string): boolean => v.startsWith('arn:');

/** Values of a parameter that may be sent singly (`Name`) or as a list (`Name.N`, JSON array). */
export function values(ctx: ResourceContext, name: string): string[] {
  const single = ctx.params.all(name);
  const list = ctx.params.list(name);
  return single.length === 0 ? list : list.length === 0 ? single : [...single, ...list];
}

/** A query-string parameter of the request (REST protocols). */
export function queryParam(ctx: ResourceContext, name: string): string | undefined {
  for (const [k, v] of ctx.req.query) if (k === name) return v;
  return undefined;
}

/**
 * ARNs passed as parameters: top-level members named `…Arn`/`…ARN` (single or
 * lists) and REST path labels holding an ARN (`/tags/{resourceArn}`). The
 * fallback for services without a dedicated deriver.
 */
export function arnParams(ctx: ResourceContext): string[] {
  const out: string[] = [];
  for (const name of ctx.params.names()) {
    const base = name.replace(LIST_SUFFIX, '');
    if (!ARN_NAME.test(base)) continue;
    for (const v of ctx.params.all(name)) if (isArn(v)) out.push(v);
    for (const v of ctx.params.list(name)) if (isArn(v)) out.push(v);
  }
  for (const raw of Object.values(ctx.labels)) {
    const v = decode(raw);
    if (isArn(v)) out.push(v);
  }
  return out;
}

const ARN_NAME = /(?:Arn|ARN|Arns|ARNs)$/;
// Query forms name list items `TopicArns.member.1`; match on the member name.
const LIST_SUFFIX = /\.(?:member\.)?\d+$/;
