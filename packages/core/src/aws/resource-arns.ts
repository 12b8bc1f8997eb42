import { arnParams, type ResourceContext } from './resource-context.js';
import { RESOURCE_DERIVERS } from './resource-derivers.js';

const ANY: readonly string[] = ['*'];

/**
 * The ARNs a call touches, as far as the request tells: a per-service deriver
 * for the services agents use most, ARN-valued parameters for the rest, `['*']`
 * when nothing names a resource (ListBuckets) or the body was not buffered.
 * Never throws: a deriver failing on odd input yields `['*']`.
 */
export function deriveResources(ctx: ResourceContext): string[] {
  let found: string[];
  try {
    const deriver = RESOURCE_DERIVERS.get(ctx.service);
    found = deriver !== undefined ? deriver(ctx) : arnParams(ctx);
  } catch {
    return [...ANY];
  }
  if (found.length === 0) return [...ANY];
  return found.length === 1 ? found : [...new Set(found)];
}
