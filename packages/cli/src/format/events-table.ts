import type { AuditEvent } from '@agentrail/core';
import { formatChainShort } from './chain.js';
import { decisionStyle, formatDecision, formatOperation, formatResources, formatStatus, statusStyle } from './event-fields.js';
import { renderTable, type Column, type TableOptions } from './table.js';
import { formatAbsolute } from './time.js';

/** Column widths for a live listing, where rows cannot be measured ahead. */
export const TAIL_WIDTHS: readonly number[] = [20, 28, 32, 32, 48, 15, 32];

/** The columns of an event listing: TIME, SESSION, INITIATOR/CHAIN, OPERATION, RESOURCE, DECISION, STATUS. */
export function eventColumns(): Column<AuditEvent>[] {
  return [
    { header: 'TIME', value: (e) => formatAbsolute(e.time) },
    { header: 'SESSION', value: (e) => e.session.id },
    { header: 'INITIATOR/CHAIN', value: (e) => formatChainShort(e.chain, e.initiator), max: 48, flex: true, min: 16 },
    { header: 'OPERATION', value: formatOperation, max: 40, flex: true },
    { header: 'RESOURCE', value: formatResources, max: 64, flex: true, min: 12 },
    { header: 'DECISION', value: formatDecision, style: (v) => decisionStyle(v) },
    { header: 'STATUS', value: formatStatus, max: 48, flex: true, style: (_v, e) => statusStyle(e) },
  ];
}

/** A table of events in the order given (`fixedWidths: TAIL_WIDTHS` for batches that must line up). */
export function renderEventsTable(events: readonly AuditEvent[], options: TableOptions = {}): string {
  return renderTable(eventColumns(), events, options);
}
