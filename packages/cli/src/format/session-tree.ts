import type { SessionSummary, SessionTree } from '@agentrail/collector';
import type { AuditEvent } from '@agentrail/core';
import { formatChain } from './chain.js';
import { decisionStyle, formatDecision, formatLatency, formatOperation, formatResources, formatStatus, statusStyle } from './event-fields.js';
import { chainStatusStyle, formatCounts, formatWhere } from './session-fields.js';
import { plainStyler, type Styler } from './style.js';
import { renderTable, type Column } from './table.js';
import { displayWidth, sanitize, truncate } from './text.js';
import { formatClock, formatWhen, spansDays } from './time.js';

/** How `agentrail show` draws a session tree. */
export interface SessionTreeOptions {
  /** For the root's relative time. */
  now: Date;
  /** Terminal width: long lines are cut with `…`. */
  width?: number;
  styler?: Styler;
}

type Item = { kind: 'event'; event: AuditEvent } | { kind: 'child'; tree: SessionTree };
type Line = { prefix: string; kind: 'session'; summary: SessionSummary; root: boolean; parentWhere?: string } | { prefix: string; kind: 'event'; event: AuditEvent };

/**
 * Draws a session, its delegated sessions and every session's calls as a tree:
 *
 * ```
 * ses_a  alice → Pod agents/planner  ·  agents/planner  ·  2 calls  ·  chain intact  ·  5m ago (…)
 * │  14:16:03.120  Allow  s3:ListBuckets  *  200  12 ms
 * ├─ ses_b  alice → Pod agents/planner → Agent sweeper  ·  1 call, 1 denied  ·  chain intact
 * │  │  14:16:04.001  Deny  s3:DeleteBucket  arn:aws:s3:::reports  403 AccessDenied  0.4 ms
 * │  └─ ses_c  …
 * │        14:16:05.300  Allow  …
 * └─ ses_d  …
 * ```
 *
 * A session's calls are listed in seq order; a delegated session appears among
 * them where it started, so the tree reads as the story happened. Event
 * columns line up across the whole tree. `session.started` events are implied
 * by the session line and not repeated.
 */
export function renderSessionTree(tree: SessionTree, options: SessionTreeOptions): string {
  const styler = options.styler ?? plainStyler;
  const lines: Line[] = [];
  walk(tree, '', '', true, undefined, lines);

  const events = lines.filter((l): l is Extract<Line, { kind: 'event' }> => l.kind === 'event');
  const withDate = spansDays(events.map((l) => l.event.time));
  const widestPrefix = Math.max(0, ...events.map((l) => displayWidth(l.prefix)));
  const rows = renderTable(eventColumns(withDate), events.map((l) => l.event), {
    header: false,
    styler,
    ...(options.width !== undefined ? { width: options.width - widestPrefix } : {}),
  }).split('\n');

  let row = 0;
  const out = lines.map((l) => {
    if (l.kind === 'event') return styler.paint('dim', l.prefix) + rows[row++];
    return styler.paint('dim', l.prefix) + sessionLine(l, options, styler);
  });
  return `${out.join('\n')}\n`;
}

/** Appends a session's line, then its calls and delegated sessions, merged in time order. */
function walk(tree: SessionTree, headerPrefix: string, bodyPrefix: string, root: boolean, parentWhere: string | undefined, lines: Line[]): void {
  lines.push({ prefix: headerPrefix, kind: 'session', summary: tree.session, root, ...(parentWhere !== undefined ? { parentWhere } : {}) });
  const items = mergeByTime(tree);
  const lastChild = items.findLastIndex((i) => i.kind === 'child');
  const where = formatWhere(tree.session);
  items.forEach((item, i) => {
    if (item.kind === 'event') {
      // The vertical line continues past calls only while a delegated session is still to come.
      lines.push({ prefix: bodyPrefix + (i < lastChild ? '│  ' : '   '), kind: 'event', event: item.event });
      return;
    }
    const last = i === lastChild;
    walk(item.tree, bodyPrefix + (last ? '└─ ' : '├─ '), bodyPrefix + (last ? '   ' : '│  '), false, where, lines);
  });
}

/** The session's events (seq order) with each child inserted before the first event after the child started. */
function mergeByTime(tree: SessionTree): Item[] {
  const events = tree.events.filter((e) => e.type !== 'session.started').sort((a, b) => a.session.seq - b.session.seq);
  const children = [...tree.children].sort((a, b) => a.session.firstTime.localeCompare(b.session.firstTime) || a.session.id.localeCompare(b.session.id));
  const items: Item[] = [];
  let c = 0;
  for (const event of events) {
    while (c < children.length && Date.parse(children[c]!.session.firstTime) < Date.parse(event.time)) items.push({ kind: 'child', tree: children[c++]! });
    items.push({ kind: 'event', event });
  }
  while (c < children.length) items.push({ kind: 'child', tree: children[c++]! });
  return items;
}

function sessionLine(l: Extract<Line, { kind: 'session' }>, options: SessionTreeOptions, styler: Styler): string {
  const s = l.summary;
  const where = formatWhere(s);
  const status = s.chainStatus === 'intact' ? 'chain intact' : `chain ${s.chainStatus.toUpperCase()} (verified to seq ${s.verifiedSeq} of ${s.maxSeq})`;
  const parts: { text: string; style?: ReturnType<typeof chainStatusStyle> }[] = [
    { text: s.id },
    { text: sanitize(formatChain(s.chain, s.initiator)) },
  ];
  // A delegation inside the same pod or host would only repeat its parent's location.
  if (where !== l.parentWhere) parts.push({ text: sanitize(where) });
  parts.push({ text: formatCounts(s) }, { text: status, style: chainStatusStyle(s.chainStatus) });
  if (s.ended) parts.push({ text: 'ended' });
  if (l.root) parts.push({ text: `last activity ${formatWhen(s.lastTime, options.now)}` });
  const budget = options.width === undefined ? Infinity : options.width - displayWidth(l.prefix);
  let used = 0;
  const out: string[] = [];
  for (const [i, p] of parts.entries()) {
    const sep = i === 0 ? '' : i === 1 ? '  ' : '  ·  ';
    const room = budget - used - sep.length;
    if (room <= 1) break;
    const text = truncate(p.text, room);
    out.push(sep + (i === 0 ? styler.paint('bold', text) : styler.paint(p.style, text)));
    used += sep.length + displayWidth(text);
    if (text !== p.text) break;
  }
  return out.join('');
}

function eventColumns(withDate: boolean): Column<AuditEvent>[] {
  return [
    { header: 'TIME', value: (e) => formatClock(e.time, withDate) },
    // Session events (ended, degraded) have no decision or resource: blank reads quieter than `-` in a tree.
    { header: 'DECISION', value: (e) => (e.type === 'aws.call' ? formatDecision(e) : ''), style: (v) => decisionStyle(v) },
    { header: 'OPERATION', value: formatOperation, max: 40, flex: true },
    { header: 'RESOURCE', value: (e) => (e.type === 'aws.call' ? formatResources(e) : ''), max: 64, flex: true, min: 12 },
    { header: 'STATUS', value: formatStatus, max: 48, flex: true, style: (_v, e) => statusStyle(e) },
    { header: 'LATENCY', value: (e) => (e.type === 'aws.call' ? formatLatency(e.response.latencyMs) : ''), align: 'right' },
  ];
}
