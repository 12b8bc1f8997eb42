import type { SessionSummary, SessionTree } from '@agentrail/collector';
import type { AuditEvent } from '@agentrail/core';

/**
 * Session summaries and trees computed straight from events, for formatter
 * tests that need the store's shapes without a store. Every chain is taken
 * as intact; tests that need another status set it.
 */
export function summarize(events: readonly AuditEvent[]): SessionSummary[] {
  const byId = new Map<string, AuditEvent[]>();
  for (const e of events) byId.set(e.session.id, [...(byId.get(e.session.id) ?? []), e]);
  return [...byId.values()].map((list) => {
    const first = list[0]!;
    const calls = list.filter((e) => e.type === 'aws.call');
    const s: SessionSummary = {
      id: first.session.id,
      initiator: first.initiator,
      chain: first.chain,
      firstTime: first.time,
      lastTime: list[list.length - 1]!.time,
      calls: calls.length,
      denied: calls.filter((e) => e.type === 'aws.call' && e.decision.action !== 'Allow').length,
      ended: list.some((e) => e.type === 'session.ended'),
      maxSeq: list.length,
      verifiedSeq: list.length,
      chainStatus: 'intact',
    };
    if (first.session.parent !== undefined) s.parent = first.session.parent;
    const { cluster, namespace, pod, host } = first.source;
    Object.assign(s, { ...(cluster ? { cluster } : {}), ...(namespace ? { namespace } : {}), ...(pod ? { pod } : {}), ...(host ? { host } : {}) });
    return s;
  });
}

/** The tree under session `id`. */
export function treeOf(events: readonly AuditEvent[], id: string): SessionTree {
  const summaries = summarize(events);
  const build = (s: SessionSummary): SessionTree => ({
    session: s,
    events: events.filter((e) => e.session.id === s.id),
    children: summaries.filter((c) => c.parent === s.id).map(build),
  });
  return build(summaries.find((s) => s.id === id)!);
}
