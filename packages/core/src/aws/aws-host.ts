import { awsDnsSuffixes } from './aws-partitions.js';
import type { AwsPartitionData } from './model-data.js';
import { modelsForEndpointPrefix } from './service-catalog.js';

/** What an AWS hostname tells about the call. */
export interface AwsHost {
  /** Lower-case host, port removed. */
  readonly host: string;
  /** Endpoint prefix of the service (`s3`, `api.ecr`, `s3-control`), or the service label when unknown. */
  readonly endpointPrefix: string;
  /** Region in the hostname, when it has one. */
  readonly region: string | undefined;
  readonly partition: AwsPartitionData;
  /** S3 virtual-hosted style: the bucket named by the host (`bucket.s3.amazonaws.com`). */
  readonly bucket: string | undefined;
  /** S3 access point host (`name-123456789012.s3-accesspoint.region…`). */
  readonly accessPoint: { readonly name: string; readonly account: string } | undefined;
}

// `us-east-1`, `us-gov-west-1`, `cn-north-1`, `eusc-de-east-1`, `us-isob-east-1`.
const REGION_SHAPE = /^[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}$/;
// Legacy dash-region S3 hosts: `s3-us-west-2`, `s3-external-1`, `s3-fips-us-gov-west-1`.
const S3_DASH = /^s3-(?:fips-)?((?:[a-z]{2,4}(?:-[a-z]+)+-\d{1,2})|external-1)$/;

const HOST_CHARS = /^[a-z0-9.-]{1,253}$/;

const CACHE = new Map<string, AwsHost | null>();
const CACHE_LIMIT = 4096;

/**
 * Parses an AWS hostname (`bucket.s3.us-west-2.amazonaws.com`,
 * `api.ecr.eu-west-1.amazonaws.com`, `sts.amazonaws.com.cn` …). Returns
 * undefined for hosts outside AWS's DNS suffixes (custom endpoints, localhost),
 * where only the credential scope tells the service.
 */
export function parseAwsHost(hostHeader: string): AwsHost | undefined {
  if (hostHeader === '') return undefined;
  let hit = CACHE.get(hostHeader);
  if (hit === undefined) {
    hit = parse(hostHeader) ?? null;
    // Virtual-hosted S3 makes hosts unbounded (one per bucket): cap the memo.
    if (CACHE.size >= CACHE_LIMIT) CACHE.clear();
    CACHE.set(hostHeader, hit);
  }
  return hit ?? undefined;
}

function parse(hostHeader: string): AwsHost | undefined {
  let host = hostHeader.toLowerCase();
  const colon = host.lastIndexOf(':');
  if (colon !== -1) {
    if (host.includes(']')) return undefined; // IPv6 literal: never an AWS name
    host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  // Only plain DNS names: this host may become an upstream URL.
  if (!HOST_CHARS.test(host)) return undefined;
  const match = awsDnsSuffixes().find((s) => host.endsWith(`.${s.suffix}`));
  if (match === undefined) return undefined;
  const labels = host.slice(0, host.length - match.suffix.length - 1).split('.');
  let region: string | undefined;
  if (labels.length > 1 && REGION_SHAPE.test(labels[labels.length - 1] as string)) region = labels.pop();
  while (labels.length > 1 && (labels[labels.length - 1] === 'dualstack' || labels[labels.length - 1] === 'fips')) labels.pop();
  if (labels.length === 0 || labels.some((l) => l === '')) return undefined;
  const last = labels[labels.length - 1] as string;
  const base = { host, region, partition: match.partition, bucket: undefined, accessPoint: undefined };

  // S3 has many host shapes and the bucket can sit left of them, dots included.
  const s3 = s3Label(last);
  if (s3 !== undefined) {
    const left = labels.slice(0, -1).join('.');
    if (s3.kind === 'control') return { ...base, endpointPrefix: 's3-control' };
    if (s3.kind === 'accesspoint') {
      const dash = left.lastIndexOf('-');
      const accessPoint = dash > 0 ? { name: left.slice(0, dash), account: left.slice(dash + 1) } : undefined;
      return { ...base, endpointPrefix: 's3', accessPoint };
    }
    return { ...base, endpointPrefix: 's3', region: region ?? s3.region, bucket: s3.kind === 'bucket' && left !== '' ? left : undefined };
  }
  // SQS legacy hosts put the region first: `us-west-2.queue.amazonaws.com`, `queue.amazonaws.com`.
  if (last === 'queue') {
    const r = labels.length === 2 && REGION_SHAPE.test(labels[0] as string) ? labels[0] : region;
    return { ...base, endpointPrefix: 'sqs', region: r };
  }
  // Longest known endpoint prefix at the right end (`api.ecr`, `streams.dynamodb`).
  const fipsless = last.endsWith('-fips') ? last.slice(0, -5) : last;
  for (let i = 0; i < labels.length; i++) {
    const candidate = [...labels.slice(i, -1), fipsless].join('.');
    if (modelsForEndpointPrefix(candidate).length > 0) return { ...base, endpointPrefix: candidate };
  }
  return { ...base, endpointPrefix: fipsless };
}

type S3Label = { kind: 'bucket' | 'control' | 'accesspoint' | 'other'; region?: string | undefined };

function s3Label(label: string): S3Label | undefined {
  if (label === 's3' || label === 's3-fips' || label === 's3-accelerate' || label === 's3-global') return { kind: 'bucket' };
  if (label === 's3-control' || label === 's3-control-fips') return { kind: 'control' };
  if (label === 's3-accesspoint' || label === 's3-accesspoint-fips') return { kind: 'accesspoint' };
  if (label === 's3-object-lambda' || label === 's3express-control') return { kind: 'other' };
  // Directory buckets: `bucket--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com`.
  if (label.startsWith('s3express-')) return { kind: 'bucket' };
  const dash = S3_DASH.exec(label);
  if (dash !== null) return { kind: 'bucket', region: dash[1] === 'external-1' ? 'us-east-1' : dash[1] };
  return undefined;
}
