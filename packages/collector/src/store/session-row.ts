import type { Actor } from '@agentrail/core';
import type { ChainStatus, SessionSummary } from './audit-store.js';

/** A row of the sessions table. */
export interface SessionRow {
  sid: number;
  id: string;
  parent: string | null;
  initiator: string;
  chain: string;
  cluster: string | null;
  namespace: string | null;
  pod: string | null;
  host: string | null;
  first_ms: number;
  last_ms: number;
  n: number;
  calls: number;
  denied: number;
  ended: number;
  max_seq: number;
  verified_seq: number;
  verified_hash: string;
  broken: number;
  anchor_seq: number;
  anchor_prev: string;
}

/** `gap` while events above the verified seq wait for missing ones; `broken` sticks. */
export function chainStatus(row: Pick<SessionRow, 'broken' | 'max_seq' | 'verified_seq'>): ChainStatus {
  if (row.broken !== 0) return 'broken';
  return row.max_seq > row.verified_seq ? 'gap' : 'intact';
}

/** The public view of a session row. */
export function summaryOf(row: SessionRow): SessionSummary {
  const s: SessionSummary = {
    id: row.id,
    initiator: row.initiator,
    chain: JSON.parse(row.chain) as Actor[],
    firstTime: new Date(row.first_ms).toISOString(),
    lastTime: new Date(row.last_ms).toISOString(),
    calls: row.calls,
    denied: row.denied,
    ended: row.ended !== 0,
    maxSeq: row.max_seq,
    verifiedSeq: row.verified_seq,
    chainStatus: chainStatus(row),
  };
  if (row.parent !== null) s.parent = row.parent;
  if (row.cluster !== null) s.cluster = row.cluster;
  if (row.namespace !== null) s.namespace = row.namespace;
  if (row.pod !== null) s.pod = row.pod;
  if (row.host !== null) s.host = row.host;
  return s;
}
