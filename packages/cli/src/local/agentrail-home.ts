import { homedir } from 'node:os';
import { join } from 'node:path';

/** `~/.agentrail`, or `AGENTRAIL_HOME`. */
export function agentrailHome(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return env['AGENTRAIL_HOME'] ?? join(home, '.agentrail');
}

/** The local audit store: `--store`, else `AGENTRAIL_STORE`, else `audit.db` in {@link agentrailHome}. */
export function defaultStorePath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return env['AGENTRAIL_STORE'] ?? join(agentrailHome(env, home), 'audit.db');
}
