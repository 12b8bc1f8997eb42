import { HostPatternError } from './errors.js';
import { normalizeHost } from './hostname.js';

/**
 * Domains under which AWS serves its APIs: the classic partition
 * (`amazonaws.com`), the China partition (`amazonaws.com.cn`) and the newer
 * dual-stack / regional endpoints (`api.aws`). Only names strictly below them
 * match; the apex names are not API endpoints.
 */
const AWS_SUFFIXES = ['.amazonaws.com', '.amazonaws.com.cn', '.api.aws'] as const;

/** Decides whether a host's TLS is terminated by the sidecar. */
export type HostMatcher = (host: string) => boolean;

/**
 * Builds the predicate that decides which hosts the sidecar intercepts: every
 * AWS API host plus the configured custom endpoints (for example a VPC or
 * FIPS endpoint under a private name, or a local S3-compatible service).
 *
 * Hosts are compared in normal form (see {@link normalizeHost}): case-insensitive,
 * without port or trailing dot. A suffix matches on a label boundary only, so
 * `amazonaws.com.evil.com` and `evilamazonaws.com` never match.
 *
 * @param extraHosts exact hosts (`s3.internal.example`) or wildcards
 *   (`*.internal.example`, matching names strictly below the suffix, as in a
 *   certificate wildcard but for any depth). Invalid entries throw
 *   {@link HostPatternError} so that bad configuration stops start-up.
 *
 * @example
 * const isAwsHost = createAwsHostMatcher(['*.s3.internal.example']);
 * isAwsHost('STS.us-east-1.amazonaws.com:443'); // true
 * isAwsHost('amazonaws.com.evil.com');          // false
 */
export function createAwsHostMatcher(extraHosts: readonly string[] = []): HostMatcher {
  const exact = new Set<string>();
  const suffixes: string[] = [...AWS_SUFFIXES];
  for (const pattern of extraHosts) {
    if (pattern.startsWith('*.')) {
      const base = normalizeHost(pattern.slice(2));
      if (base === undefined) throw new HostPatternError(pattern, 'not a DNS name after "*."');
      // A wildcard over a single label ("*.com") would intercept a whole TLD.
      if (!base.includes('.')) throw new HostPatternError(pattern, 'a wildcard needs at least two labels after "*."');
      suffixes.push(`.${base}`);
    } else {
      if (pattern.includes('*')) throw new HostPatternError(pattern, 'only a leading "*." wildcard is supported');
      const host = normalizeHost(pattern);
      if (host === undefined) throw new HostPatternError(pattern, 'not a DNS name or IP address');
      exact.add(host);
    }
  }
  return (input: string): boolean => {
    const host = normalizeHost(input);
    if (host === undefined) return false;
    if (exact.has(host)) return true;
    return suffixes.some((suffix) => host.length > suffix.length && host.endsWith(suffix));
  };
}
