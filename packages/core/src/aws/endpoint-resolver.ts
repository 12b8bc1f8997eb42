import { parseAwsHost } from './aws-host.js';
import { partitionOf } from './aws-partitions.js';
import { modelsForSigningName, type ServiceModel } from './service-catalog.js';

// Region and signing name end up in a hostname the sidecar sends signed requests
// to: anything but plain DNS characters must not get that far.
const REGION = /^[a-z0-9]{1,16}(?:-[a-z0-9]{1,16}){1,4}$/;
const DNS_NAME = /^[a-z0-9](?:[a-z0-9.-]{0,61}[a-z0-9])?$/;
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TEMPLATE_LABEL = /\{([hlq]):([^}]+)\}/g;

const CACHE = new Map<string, string>();

/**
 * The real AWS origin (`https://host`) for a call in endpoint mode, where the
 * caller addressed the sidecar and only the credential scope names the service:
 * `sts` + `us-east-1` → `https://sts.us-east-1.amazonaws.com`, `iam` →
 * `https://iam.amazonaws.com`, `ecr` + `eu-west-1` →
 * `https://api.ecr.eu-west-1.amazonaws.com`, `cn-*` regions under
 * `amazonaws.com.cn`. With an AWS `host` (transparent/proxy mode) that host is
 * the answer. Undefined when the region or name could not be part of an AWS
 * hostname.
 *
 * @example resolveEndpoint('s3', 'us-west-2') // 'https://s3.us-west-2.amazonaws.com'
 */
export function resolveEndpoint(signingName: string, region: string, host?: string): string | undefined {
  if (host !== undefined && host !== '') {
    const aws = parseAwsHost(host);
    if (aws !== undefined) return `https://${aws.host}`;
  }
  const name = signingName.toLowerCase();
  const model = primaryModel(modelsForSigningName(name));
  if (model !== undefined) return modelEndpoint(model, region);
  if (!DNS_NAME.test(name) || !REGION.test(region)) return undefined;
  return `https://${name}.${region}.${partitionOf(region).dnsSuffix}`;
}

/**
 * The origin serving a model in a region, with the operation's host prefix
 * (`{h:x-amz-account-id}.` for S3 Control, `data-` for Cloud Map discovery)
 * filled from the request. Undefined when a filled value is not a DNS label.
 */
export function modelEndpoint(
  model: ServiceModel,
  region: string,
  hostPrefix?: string,
  fill?: (kind: string, name: string) => string | undefined,
): string | undefined {
  if (!REGION.test(region)) return undefined;
  const key = `${model.id}|${region}`;
  let origin = CACHE.get(key);
  if (origin === undefined) {
    const partition = partitionOf(region);
    const global = partition.globalEndpoints[model.endpointPrefix];
    origin = global !== undefined ? global.hostname : `${model.endpointPrefix}.${region}.${partition.dnsSuffix}`;
    if (CACHE.size < 4096) CACHE.set(key, origin);
  }
  if (hostPrefix === undefined || hostPrefix === '') return `https://${origin}`;
  let valid = true;
  const prefix = hostPrefix.replace(TEMPLATE_LABEL, (_, kind: string, name: string) => {
    const v = fill?.(kind, name);
    if (v === undefined || !HOST_LABEL.test(v)) valid = false;
    return v ?? '';
  });
  return valid ? `https://${prefix}${origin}` : undefined;
}

/**
 * The model whose endpoint a signing name means when nothing else tells: the
 * one whose endpoint prefix is the signing name (`bedrock`, not
 * `bedrock-runtime`), else the prefix most of the group shares (`email` for
 * `ses`).
 */
function primaryModel(models: readonly ServiceModel[]): ServiceModel | undefined {
  if (models.length <= 1) return models[0];
  const signingName = models[0]?.data.signingName;
  const exact = models.find((m) => m.endpointPrefix === signingName);
  if (exact !== undefined) return exact;
  const counts = new Map<string, number>();
  for (const m of models) counts.set(m.endpointPrefix, (counts.get(m.endpointPrefix) ?? 0) + 1);
  let best = models[0] as ServiceModel;
  for (const m of models) if ((counts.get(m.endpointPrefix) ?? 0) > (counts.get(best.endpointPrefix) ?? 0)) best = m;
  return best;
}
