import type { Command } from 'commander';
import { formatVerifyProgress, formatVerifyReport } from '../format/verify-report.js';
import { writeOut, type CliIo } from './cli-io.js';
import { addSourceOptions, openStore, type SourceFlags } from './audit-source.js';
import { CliUsageError } from './command-errors.js';
import { ProgressLine } from './progress-line.js';
import { runAction } from './action-runner.js';

type VerifyFlags = SourceFlags & { session?: string; json?: boolean };

/**
 * `agentrail verify [--session ID]`: re-checks every stored hash chain (or
 * one session's). Exit 0 when every chain holds, 1 when any break is found —
 * so it can gate a script or a cron job. Local store only: verifying over
 * the API would mean trusting the server that holds the data.
 */
export function registerVerifyCommand(program: Command, io: () => CliIo): Command {
  const cmd = program.command('verify').description("re-check the audit store's hash chains; exit 1 if any event was changed, removed or reordered");
  addSourceOptions(cmd, { server: false });
  cmd.option('--session <id>', 'verify only this session').option('--json', 'the report as one JSON document');
  return cmd.action((flags: VerifyFlags) => runAction(io(), 'verify', () => verify(flags, io())));
}

async function verify(flags: VerifyFlags, io: CliIo): Promise<number> {
  if (flags.session !== undefined && flags.session.trim() === '') throw new CliUsageError('--session: empty; leave the flag out instead');
  const { store, path } = openStore(flags, io);
  const progress = new ProgressLine(io.stderr);
  try {
    // Exit 2, not 1: a mistyped id must not read as a broken chain to a script.
    if (flags.session !== undefined && (await store.session(flags.session)) === undefined) throw new CliUsageError(`--session: no session ${flags.session} in ${path}`);
    const report = store.verify({
      ...(flags.session !== undefined ? { session: flags.session } : {}),
      onProgress: (done, total) => progress.update(formatVerifyProgress(done, total), done === total),
    });
    progress.clear();
    await writeOut(io.stdout, flags.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatVerifyReport(report));
    return report.breaks.length === 0 ? 0 : 1;
  } finally {
    progress.clear();
    store.close();
  }
}
