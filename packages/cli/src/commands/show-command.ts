import type { Command } from 'commander';
import { renderSessionTree } from '../format/session-tree.js';
import { chooseStyler } from '../format/style.js';
import { terminalWidth, writeOut, type CliIo } from './cli-io.js';
import { addSourceOptions, openReader, type SourceFlags } from './audit-source.js';
import { CliNotFoundError, CliUsageError } from './command-errors.js';
import { runAction } from './action-runner.js';

type ShowFlags = SourceFlags & { json?: boolean };

/**
 * `agentrail show SESSION`: the session, every session delegated from it, and
 * each one's calls, drawn as a tree.
 */
export function registerShowCommand(program: Command, io: () => CliIo): Command {
  const cmd = program
    .command('show')
    .description('show a session, its delegated sessions and their calls as a tree')
    .argument('<session>', 'session id (ses_…)');
  addSourceOptions(cmd, { server: true });
  cmd.option('--json', 'the tree as one JSON document');
  return cmd.action((id: string, flags: ShowFlags) => runAction(io(), 'show', () => show(id, flags, io())));
}

async function show(id: string, flags: ShowFlags, io: CliIo): Promise<number> {
  if (id.trim() === '') throw new CliUsageError('SESSION: empty');
  const source = openReader(flags, io);
  try {
    const tree = await source.reader.tree(id);
    if (tree === undefined) throw new CliNotFoundError(`no session ${id} in ${source.where}`);
    if (flags.json === true) {
      await writeOut(io.stdout, `${JSON.stringify(tree, null, 2)}\n`);
      return 0;
    }
    await writeOut(io.stdout, renderSessionTree(tree, { now: io.now(), width: terminalWidth(io.stdout), styler: chooseStyler(io.stdout.isTTY, io.env) }));
    return 0;
  } finally {
    source.close();
  }
}
