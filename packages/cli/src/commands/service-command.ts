import { ConfigError } from '@agentrail/core';

/**
 * What the long-running commands (`sidecar`, `collector`, `controller`)
 * share: flags to config paths, a config error as exit 2, and a stop on
 * SIGTERM/SIGINT.
 */

/** The config flags of the CLI flags the user gave, by their config paths (`paths` maps flag → path). */
export function configFlags(opts: Readonly<Record<string, unknown>>, paths: Readonly<Record<string, string>>): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const [flag, path] of Object.entries(paths)) if (opts[flag] !== undefined) flags[path] = opts[flag];
  return flags;
}

/** Runs `load`; a ConfigError ends the process with its message and exit 2, anything else is rethrown. */
export async function loadOrExit<T>(command: string, load: () => T | Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`agentrail ${command}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** On SIGTERM or SIGINT: says so (`agentrail collector: SIGTERM, stopping`), runs `stop`, exits 0. */
export function stopOnSignals(command: string, doing: string, stop: () => Promise<void>): void {
  const shutdown = (signal: string): void => {
    process.stderr.write(`agentrail ${command}: ${signal}, ${doing}\n`);
    void stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
