import { setTimeout as sleep } from 'node:timers/promises';
import { Option, type Command } from 'commander';
import { AuditApiError, type AuditReader, type SearchQuery } from '@agentrail/collector';
import type { AuditEvent } from '@agentrail/core';
import { renderEventsTable, TAIL_WIDTHS } from '../format/events-table.js';
import { chooseStyler } from '../format/style.js';
import { terminalWidth, writeOut, type CliIo } from './cli-io.js';
import { addSourceOptions, openReader, type SourceFlags } from './audit-source.js';
import { CliUsageError } from './command-errors.js';
import { addEventFilterOptions, eventQueryFromFlags, type FilterFlags } from './query-flags.js';
import { runAction } from './action-runner.js';

type TailFlags = SourceFlags & FilterFlags & { json?: boolean; pollMs?: string };

const POLL_MS = 500;
/**
 * Events reach the store after their `time`: the sidecar stamps the call's
 * start, then the event travels through the spool and JetStream, and a
 * sidecar that lost NATS replays its spool later. Each poll therefore looks
 * this far back behind the newest event seen and skips ids already printed.
 * An event stored even later than this is not shown (`search` finds it).
 */
const LATE_WINDOW_MS = 60_000;
/**
 * Events per request from a local store; a poll pages on until it has
 * everything. Over `--server` the collector's default page is used, as its
 * operator may cap pages lower than this.
 */
const LOCAL_PAGE = 1_000;

/**
 * `agentrail tail [filters]`: prints matching events as they are stored,
 * until Ctrl-C (exit 0). With `--since`, first prints what is already stored
 * from then on.
 */
export function registerTailCommand(program: Command, io: () => CliIo): Command {
  const cmd = program
    .command('tail')
    .description('follow the audit trail: print matching events as they are stored, until Ctrl-C')
    .argument('[text...]', 'free text, as for search');
  addEventFilterOptions(cmd, { until: false, limit: false });
  addSourceOptions(cmd, { server: true });
  cmd.option('--json', 'one JSON event per line');
  // For tests and slow links; 500 ms suits people watching a terminal.
  cmd.addOption(new Option('--poll-ms <ms>', 'poll interval').hideHelp());
  return cmd.action((words: string[], flags: TailFlags) => runAction(io(), 'tail', () => tail(words, flags, io())));
}

async function tail(words: readonly string[], flags: TailFlags, io: CliIo): Promise<number> {
  const query = eventQueryFromFlags(flags, words, io.now());
  const pollMs = flags.pollMs === undefined ? POLL_MS : Number(flags.pollMs);
  if (!Number.isInteger(pollMs) || pollMs < 10 || pollMs > 60_000) throw new CliUsageError(`--poll-ms: ${JSON.stringify(flags.pollMs)} is not a whole number from 10 to 60000`);
  const source = openReader(flags, io);
  const stop = io.interrupted();
  const styler = chooseStyler(io.stdout.isTTY, io.env);
  let header = true;
  const print = async (events: readonly AuditEvent[]): Promise<void> => {
    if (flags.json === true) {
      for (const e of events) await writeOut(io.stdout, `${JSON.stringify(e)}\n`);
      return;
    }
    await writeOut(io.stdout, renderEventsTable(events, { header, fixedWidths: TAIL_WIDTHS, width: terminalWidth(io.stdout), styler }));
    header = false;
  };
  try {
    // Without --since, what is stored already is history: the first poll only remembers it.
    // The floor reaches back one window so events stamped just before the start but stored after it still show.
    const floor = query.since ?? new Date(io.now().getTime() - LATE_WINDOW_MS);
    const follower = new EventFollower(source.reader, query, floor, () => io.now(), flags.server === undefined ? LOCAL_PAGE : undefined);
    let polls = 0;
    let outage = false;
    while (!stop.aborted) {
      try {
        const fresh = await follower.poll(stop);
        if (fresh.length > 0 && (polls > 0 || query.since !== undefined)) await print(fresh);
        if (outage) io.stderr.write('agentrail tail: the collector answers again\n');
        polls++;
        outage = false;
      } catch (err) {
        // Once running, a live view outlasts a collector restart or a network blip: say so once, keep polling.
        // Before the first answer, fail: the URL or token is more likely wrong than the collector down.
        if (polls === 0 || !transient(err)) throw err;
        if (!outage) io.stderr.write(`agentrail tail: ${(err as Error).message}; retrying\n`);
        outage = true;
      }
      await sleep(pollMs, undefined, { signal: stop }).catch(() => undefined);
    }
    return 0;
  } finally {
    source.close();
  }
}

/** Failures worth waiting out: the collector unreachable, or failing on its side. */
function transient(err: unknown): boolean {
  return err instanceof AuditApiError && (err.code === 'API_UNREACHABLE' || err.status >= 500);
}

/**
 * Polls a reader for events it has not returned before: asc order from a
 * lower bound that trails the newest event seen by a late-arrival window,
 * with the ids inside that window remembered so nothing prints twice.
 */
export class EventFollower {
  private readonly seen = new Map<string, number>();
  private newest: number;

  /**
   * @param floor the earliest time ever asked for (`--since`, or the start minus the window)
   * @param now the clock: an event stamped in the future (a skewed host) must not drag the window ahead of real time
   * @param pageSize events per request; undefined: the reader's default
   */
  constructor(
    private readonly reader: AuditReader,
    private readonly query: SearchQuery,
    private readonly floor: Date,
    private readonly now: () => Date,
    private readonly pageSize?: number,
    private readonly lateWindowMs = LATE_WINDOW_MS,
  ) {
    this.newest = floor.getTime();
  }

  /** Matching events not returned before, oldest first. */
  async poll(stop?: AbortSignal): Promise<AuditEvent[]> {
    const since = new Date(Math.max(this.floor.getTime(), this.newest - this.lateWindowMs));
    const fresh: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.reader.search({ ...this.query, since, order: 'asc', limit: this.pageSize, cursor });
      for (const e of page.events) {
        if (this.seen.has(e.id)) continue;
        const t = Date.parse(e.time);
        this.seen.set(e.id, t);
        this.newest = Math.max(this.newest, Math.min(t, this.now().getTime()));
        fresh.push(e);
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined && stop?.aborted !== true);
    // Ids older than the next poll's lower bound cannot come back: forget them.
    const bound = this.newest - this.lateWindowMs;
    for (const [id, t] of this.seen) if (t < bound) this.seen.delete(id);
    return fresh;
  }
}
