import { AWS_MODELS } from './generated/aws-models.js';
import type { AwsPartitionData } from './model-data.js';

interface CompiledPartition {
  data: AwsPartitionData;
  regex: RegExp;
}

const COMPILED: CompiledPartition[] = AWS_MODELS.partitions.map((data) => ({ data, regex: new RegExp(data.regionRegex) }));
const DEFAULT = COMPILED.find((p) => p.data.id === 'aws') ?? (COMPILED[0] as CompiledPartition);

// Regions are few; remember each answer so the hot path never runs a regex twice.
const BY_REGION = new Map<string, AwsPartitionData>();

/**
 * The partition a region belongs to (`cn-north-1` → `aws-cn`, `us-gov-west-1` →
 * `aws-us-gov`); `aws` for a region no partition claims, as the SDKs do.
 */
export function partitionOf(region: string): AwsPartitionData {
  let hit = BY_REGION.get(region);
  if (hit === undefined) {
    hit = (COMPILED.find((p) => p.regex.test(region)) ?? DEFAULT).data;
    if (BY_REGION.size < 1024) BY_REGION.set(region, hit);
  }
  return hit;
}

/** Every DNS suffix AWS endpoints live under (`amazonaws.com`, `api.aws`, `amazonaws.com.cn` …). */
export function awsDnsSuffixes(): readonly { suffix: string; partition: AwsPartitionData }[] {
  return DNS_SUFFIXES;
}

const DNS_SUFFIXES = AWS_MODELS.partitions
  .flatMap((p) => [p.dnsSuffix, p.dualStackDnsSuffix].filter((s) => s !== '').map((suffix) => ({ suffix, partition: p })))
  // Longest first, so `amazonaws.com.cn` wins over a shorter suffix it might contain.
  .sort((a, b) => b.suffix.length - a.suffix.length);
