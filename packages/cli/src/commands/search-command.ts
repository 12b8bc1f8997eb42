import type { Command } from 'commander';
import { renderEventsTable } from '../format/events-table.js';
import { chooseStyler } from '../format/style.js';
import { terminalWidth, writeOut, type CliIo } from './cli-io.js';
import { addSourceOptions, openReader, type SourceFlags } from './audit-source.js';
import { addEventFilterOptions, eventQueryFromFlags, type FilterFlags } from './query-flags.js';
import { runAction } from './action-runner.js';

type SearchFlags = SourceFlags & FilterFlags & { json?: boolean };

/**
 * `agentrail search [filters] [TEXT...]`: events that match, newest first.
 * Words after the flags are free text (operation, resources, error codes and
 * messages, chain, body excerpts).
 */
export function registerSearchCommand(program: Command, io: () => CliIo): Command {
  const cmd = program
    .command('search')
    .description('search audit events by who, what, where, decision, time and free text')
    .argument('[text...]', 'free text: error codes, resource names, message words');
  addEventFilterOptions(cmd, { until: true, limit: true });
  addSourceOptions(cmd, { server: true });
  cmd.option('--json', 'one JSON event per line');
  return cmd.action((words: string[], flags: SearchFlags) => runAction(io(), 'search', () => search(words, flags, io())));
}

async function search(words: readonly string[], flags: SearchFlags, io: CliIo): Promise<number> {
  const query = eventQueryFromFlags(flags, words, io.now());
  const source = openReader(flags, io);
  try {
    const { events, nextCursor } = await source.reader.search(query);
    if (flags.json === true) {
      for (const e of events) await writeOut(io.stdout, `${JSON.stringify(e)}\n`);
      return 0;
    }
    if (events.length === 0) {
      io.stderr.write('no events match\n');
      return 0;
    }
    await writeOut(io.stdout, renderEventsTable(events, { width: terminalWidth(io.stdout), styler: chooseStyler(io.stdout.isTTY, io.env) }));
    if (nextCursor !== undefined) io.stderr.write(`(${events.length} newest shown; more may match: raise --limit, or narrow with --since/--until and filters)\n`);
    return 0;
  } finally {
    source.close();
  }
}
