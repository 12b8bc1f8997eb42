import type { ChainStatus, SessionSummary } from '@agentrail/collector';
import type { Style } from './style.js';

/** Where a session ran: `namespace/pod` in a cluster, else the host; `-` when unknown. */
export function formatWhere(s: Pick<SessionSummary, 'namespace' | 'pod' | 'host'>): string {
  if (s.namespace !== undefined && s.pod !== undefined) return `${s.namespace}/${s.pod}`;
  if (s.pod !== undefined) return s.pod;
  if (s.namespace !== undefined) return s.namespace;
  return s.host ?? '-';
}

/** A broken chain (changed or reordered events) is red; a gap (events missing, maybe still in transit) yellow. */
export function chainStatusStyle(status: ChainStatus | string): Style | undefined {
  if (status === 'broken') return 'red';
  if (status === 'gap') return 'yellow';
  return undefined;
}

/** `3 calls, 1 denied` — the counts a session line shows. */
export function formatCounts(s: Pick<SessionSummary, 'calls' | 'denied'>): string {
  const calls = `${s.calls} call${s.calls === 1 ? '' : 's'}`;
  return s.denied > 0 ? `${calls}, ${s.denied} denied` : calls;
}
