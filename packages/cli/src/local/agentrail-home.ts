import { homedir } from 'node:os';
import { join } from 'node:path';

/** `~/.agentrail`, or `AGENTRAIL_HOME`. */
export function agentrailHome(env: NodeJS.ProcessEnv = process.env): string {
  return env['AGENTRAIL_HOME'] ?? join(homedir(), '.agentrail');
}

/** The local audit store: `--store`, else `AGENTRAIL_STORE`, else `~/.agentrail/audit.db`. */
export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  return env['AGENTRAIL_STORE'] ?? join(agentrailHome(env), 'audit.db');
}
