import type { SessionSummary } from '@agentrail/collector';
import { formatChain } from './chain.js';
import { chainStatusStyle, formatWhere } from './session-fields.js';
import { renderTable, type Column, type TableOptions } from './table.js';
import { formatWhen } from './time.js';

/** How `agentrail sessions` lays its table out. */
export interface SessionsTableOptions extends TableOptions {
  /** For LAST ACTIVITY's relative time. */
  now: Date;
}

/**
 * The `agentrail sessions` table: one row per session, with its chain spelled
 * out, where it ran, its call counts and whether its hash chain holds.
 */
export function renderSessionsTable(sessions: readonly SessionSummary[], options: SessionsTableOptions): string {
  const columns: Column<SessionSummary>[] = [
    { header: 'SESSION', value: (s) => s.id },
    { header: 'PARENT', value: (s) => s.parent ?? '-' },
    { header: 'INITIATOR', value: (s) => s.initiator, max: 32, flex: true },
    { header: 'CHAIN', value: (s) => formatChain(s.chain, s.initiator), max: 72, flex: true, min: 16 },
    { header: 'WHERE', value: formatWhere, max: 40, flex: true },
    { header: 'CALLS', value: (s) => String(s.calls), align: 'right' },
    { header: 'DENIED', value: (s) => String(s.denied), align: 'right', style: (v) => (v === '0' ? undefined : 'red') },
    { header: 'CHAIN STATUS', value: (s) => s.chainStatus, style: (v) => chainStatusStyle(v) },
    // The relative part comes first, so a narrow terminal keeps it and cuts the absolute time.
    { header: 'LAST ACTIVITY', value: (s) => formatWhen(s.lastTime, options.now), flex: true, min: 13 },
  ];
  return renderTable(columns, sessions, options);
}
