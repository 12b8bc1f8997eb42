import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { HttpAuditReader, SqliteAuditStore, type AuditReader, type AuditStore } from '@agentrail/collector';
import { ConfigError } from '@agentrail/core';
import { defaultStorePath } from '../local/agentrail-home.js';
import type { CliIo } from './cli-io.js';
import { CliError, CliUsageError } from './command-errors.js';

/**
 * Where the audit commands read from: a local SQLite store (`--store`, else
 * `AGENTRAIL_STORE`, else `~/.agentrail/audit.db`), or a collector's API
 * (`--server URL --token-file F`).
 */

/** Flags of the source. */
export interface SourceFlags {
  store?: string;
  server?: string;
  tokenFile?: string;
}

/** An open reader, and how to let go of it. */
export interface OpenReader {
  reader: AuditReader;
  /** For messages: the store path or the server URL. */
  where: string;
  close(): void;
}

/** Adds `--store`, and for commands that can read over HTTP, `--server` and `--token-file`. */
export function addSourceOptions(cmd: Command, opts: { server: boolean }): Command {
  cmd.option('--store <path>', 'audit store (default: $AGENTRAIL_STORE, else ~/.agentrail/audit.db)');
  if (opts.server) {
    cmd
      .option('--server <url>', "read from a collector's audit API instead of a local store")
      .option('--token-file <file>', 'bearer token for --server (read before every request)');
  }
  return cmd;
}

/**
 * The store path the flags and environment name — the one `agentrail run`
 * writes (`defaultStorePath`) — with `~/` expanded (it may come from a
 * config or a quoted argument).
 */
export function resolveStorePath(flags: SourceFlags, io: CliIo): string {
  const raw = flags.store ?? defaultStorePath(io.env, io.homedir);
  if (raw === '~') return io.homedir;
  return raw.startsWith('~/') ? join(io.homedir, raw.slice(2)) : raw;
}

/**
 * Opens an existing local store. Reading never creates one: a mistyped path
 * would otherwise answer "no sessions" from a new, empty database.
 *
 * @throws CliUsageError when there is no store file at the path (exit 2)
 */
export function openStore(flags: SourceFlags, io: CliIo): { store: AuditStore; path: string } {
  const path = resolveStorePath(flags, io);
  if (!existsSync(path)) {
    const from = flags.store !== undefined ? '--store' : io.env['AGENTRAIL_STORE'] !== undefined ? 'AGENTRAIL_STORE' : 'the default location';
    throw new CliUsageError(`no audit store at ${path} (from ${from}); give --store PATH, or --server URL to read from a collector`);
  }
  if (statSync(path).isDirectory()) throw new CliUsageError(`${path} is a directory, not an audit store`);
  try {
    return { store: SqliteAuditStore.open(path), path };
  } catch (err) {
    throw new CliError('CLI_STORE_OPEN', 1, `cannot open the audit store ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * The reader the flags ask for: the collector's API with `--server`, else the
 * local store.
 *
 * @throws CliUsageError for flags that do not go together or a bad URL (exit 2)
 */
export function openReader(flags: SourceFlags, io: CliIo): OpenReader {
  if (flags.server === undefined) {
    if (flags.tokenFile !== undefined) throw new CliUsageError('--token-file: only meaningful together with --server');
    const { store, path } = openStore(flags, io);
    return { reader: store, where: path, close: () => store.close() };
  }
  if (flags.store !== undefined) throw new CliUsageError('--store and --server: give one; the first reads a local store, the second a collector');
  if (flags.tokenFile !== undefined && !existsSync(flags.tokenFile)) throw new CliUsageError(`--token-file: ${flags.tokenFile} does not exist`);
  try {
    const reader = flags.tokenFile !== undefined ? HttpAuditReader.withTokenFile(flags.server, flags.tokenFile) : new HttpAuditReader({ url: flags.server });
    return { reader, where: flags.server, close: () => undefined };
  } catch (err) {
    if (err instanceof ConfigError) throw new CliUsageError(`--server: ${JSON.stringify(flags.server)} ${err.problems.map((p) => p.message).join('; ')}`, { cause: err });
    throw err;
  }
}
