import type { VerifyReport } from '@agentrail/collector';
import type { ChainBreak } from '@agentrail/core';
import { formatCount } from './text.js';

/** `session ses_… seq 42: hash-mismatch — the event was changed after it was sealed (event 01J…)` */
export function formatBreak(b: ChainBreak): string {
  const event = b.eventId === undefined ? '' : ` (event ${b.eventId})`;
  return `session ${b.session} seq ${b.seq}: ${b.kind} — ${b.detail}${event}`;
}

/**
 * What `agentrail verify` prints: one line per break, then a verdict line.
 * `OK: 12 sessions, 3,456 events, every chain intact` when there is none.
 */
export function formatVerifyReport(report: VerifyReport): string {
  const totals = `${formatCount(report.sessions)} session${report.sessions === 1 ? '' : 's'}, ${formatCount(report.events)} event${report.events === 1 ? '' : 's'}`;
  if (report.breaks.length === 0) return `OK: ${totals}, every chain intact\n`;
  const sessions = new Set(report.breaks.map((b) => b.session)).size;
  const lines = report.breaks.map(formatBreak);
  lines.push(`FAILED: ${formatCount(report.breaks.length)} break${report.breaks.length === 1 ? '' : 's'} in ${formatCount(sessions)} session${sessions === 1 ? '' : 's'} (checked ${totals})`);
  return `${lines.join('\n')}\n`;
}

/** `verifying 123,456/1,000,000 events` — the progress line on a terminal. */
export function formatVerifyProgress(done: number, total: number): string {
  return `verifying ${formatCount(done)}/${formatCount(total)} events`;
}
