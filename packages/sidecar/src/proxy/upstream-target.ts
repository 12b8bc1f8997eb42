import { parseAwsHost, resolveEndpoint } from '@agentrail/core';

/** Where calls go: one fixed endpoint (moto, LocalStack, a VPC endpoint) or AWS itself. */
export interface UpstreamRouting {
  /** `--upstream-endpoint`: every call goes to this origin. */
  endpoint?: URL | undefined;
}

export interface UpstreamDestination {
  origin: string;
  host: string;
  path: string;
}

/**
 * Picks the upstream for a call. An intercepted call goes to the host the
 * caller addressed; an endpoint-mode call to the endpoint its operation is
 * served from (found by operation extraction), else the service's regional one.
 * Undefined when the scope names no reachable AWS endpoint.
 * With a fixed upstream endpoint every call goes there, and S3 virtual-hosted
 * requests become path-style (the bucket moves from the host into the path),
 * since a single endpoint cannot tell buckets apart by host name.
 */
export function upstreamTarget(
  routing: UpstreamRouting,
  call: { service: string; region: string; host: string; path: string; endpoint?: string | undefined },
): UpstreamDestination | undefined {
  const bare = call.host.replace(/:\d+$/, '');
  if (routing.endpoint !== undefined) {
    const e = routing.endpoint;
    let path = call.path;
    const bucket = call.service === 's3' ? parseAwsHost(bare)?.bucket : undefined;
    if (bucket !== undefined) path = path === '' || path === '/' ? `/${bucket}` : `/${bucket}${path}`;
    const base = e.pathname === '/' ? '' : e.pathname.replace(/\/$/, '');
    return { origin: e.origin, host: e.host, path: `${base}${path}` };
  }
  if (bare !== '') return { origin: `https://${call.host}`, host: call.host, path: call.path };
  const origin = call.endpoint ?? resolveEndpoint(call.service, call.region);
  if (origin === undefined) return undefined;
  return { origin, host: new URL(origin).host, path: call.path };
}
