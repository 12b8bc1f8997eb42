import type { CliIo } from './cli-io.js';
import { CliError } from './command-errors.js';

/**
 * Runs a command's body and turns its outcome into an exit code: the body's
 * own code, the `exitCode` of a CliError (2 for usage), or 1 for anything else.
 * Messages go to stderr prefixed with the command, so a script's log says
 * which step failed.
 */
export async function runAction(io: CliIo, name: string, body: () => Promise<number> | number): Promise<void> {
  let code: number;
  try {
    code = await body();
  } catch (err) {
    code = err instanceof CliError ? err.exitCode : 1;
    io.stderr.write(`agentrail ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  io.setExitCode(code);
}
