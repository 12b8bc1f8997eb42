import type { Command } from 'commander';
import { processIo, type CliIo } from './cli-io.js';
import { registerExportCommand } from './export-command.js';
import { registerSearchCommand } from './search-command.js';
import { registerSessionsCommand } from './sessions-command.js';
import { registerShowCommand } from './show-command.js';
import { registerTailCommand } from './tail-command.js';
import { registerVerifyCommand } from './verify-command.js';

/**
 * Registers the audit-trail commands: `sessions`, `show`, `search`, `tail`,
 * `verify`, `export`.
 *
 * Usage errors commander finds itself (unknown flag, missing value) exit 2,
 * like the commands' own flag checks, instead of commander's default 1 —
 * `verify` keeps 1 for "a chain is broken".
 *
 * @param makeIo the process by default; tests pass a capture
 * @example
 * registerAuditCommands(program);
 */
export function registerAuditCommands(program: Command, makeIo: () => CliIo = processIo): void {
  let io: CliIo | undefined;
  // One io per process: the real one installs signal and EPIPE handlers when first asked for.
  const getIo = (): CliIo => (io ??= makeIo());
  const registrars = [registerSessionsCommand, registerShowCommand, registerSearchCommand, registerTailCommand, registerVerifyCommand, registerExportCommand];
  for (const register of registrars) {
    register(program, getIo)
      .configureOutput({ writeOut: (s) => getIo().stdout.write(s), writeErr: (s) => getIo().stderr.write(s) })
      .exitOverride((err) => getIo().abort(err.exitCode === 0 ? 0 : 2));
  }
}
