import type { Command } from 'commander';
import { DEFAULT_LIMIT } from '@agentrail/collector';
import { renderSessionsTable } from '../format/sessions-table.js';
import { chooseStyler } from '../format/style.js';
import { terminalWidth, writeOut, type CliIo } from './cli-io.js';
import { addSourceOptions, openReader, type SourceFlags } from './audit-source.js';
import { addSessionFilterOptions, sessionQueryFromFlags, type FilterFlags } from './query-flags.js';
import { runAction } from './action-runner.js';

type SessionsFlags = SourceFlags & FilterFlags & { json?: boolean };

/**
 * `agentrail sessions`: the sessions that match, newest activity first — who
 * started each, through which chain, where, how many calls were denied and
 * whether its hash chain holds.
 */
export function registerSessionsCommand(program: Command, io: () => CliIo): Command {
  const cmd = program.command('sessions').description('list audit sessions: initiator, chain, calls, denials, chain status');
  addSessionFilterOptions(cmd);
  addSourceOptions(cmd, { server: true });
  cmd.option('--json', 'one JSON session summary per line');
  return cmd.action((flags: SessionsFlags) => runAction(io(), 'sessions', () => sessions(flags, io())));
}

async function sessions(flags: SessionsFlags, io: CliIo): Promise<number> {
  const query = sessionQueryFromFlags(flags, io.now());
  const source = openReader(flags, io);
  try {
    const found = await source.reader.sessions(query);
    if (flags.json === true) {
      for (const s of found) await writeOut(io.stdout, `${JSON.stringify(s)}\n`);
      return 0;
    }
    if (found.length === 0) {
      io.stderr.write('no sessions match\n');
      return 0;
    }
    await writeOut(io.stdout, renderSessionsTable(found, { now: io.now(), width: terminalWidth(io.stdout), styler: chooseStyler(io.stdout.isTTY, io.env) }));
    if (found.length === (query.limit ?? DEFAULT_LIMIT)) io.stderr.write(`(${found.length} shown; more may match: raise --limit or narrow the filters)\n`);
    return 0;
  } finally {
    source.close();
  }
}
