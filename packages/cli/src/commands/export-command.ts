import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { toOcsfApiActivity, writeJsonl } from '@agentrail/collector';
import type { AuditEvent } from '@agentrail/core';
import { formatCount } from '../format/text.js';
import { runAction } from './action-runner.js';
import { addSourceOptions, openStore, type SourceFlags } from './audit-source.js';
import type { CliIo, OutputStream } from './cli-io.js';
import { CliUsageError } from './command-errors.js';
import { ProgressLine } from './progress-line.js';
import { addEventFilterOptions, eventQueryFromFlags, type FilterFlags } from './query-flags.js';

type ExportFlags = SourceFlags & FilterFlags & { format?: string; output?: string };

const FORMATS = ['jsonl', 'ocsf'] as const;

/**
 * `agentrail export --format jsonl|ocsf [--output FILE] [filters]`: streams
 * the matching events, oldest first, from the local store. JSONL keeps every
 * event in the canonical form its hash was computed over (re-verifiable);
 * OCSF writes API Activity records (class 6003) for the calls.
 */
export function registerExportCommand(program: Command, io: () => CliIo): Command {
  const cmd = program
    .command('export')
    .description('export audit events as JSON Lines or OCSF API Activity, oldest first')
    .argument('[text...]', 'free text, as for search')
    .option('--format <format>', 'jsonl (every event, as sealed) | ocsf (API Activity, calls only)', 'jsonl')
    .option('--output <file>', 'write to this file (replaced when complete) instead of stdout');
  addEventFilterOptions(cmd, { until: true, limit: false });
  addSourceOptions(cmd, { server: false });
  return cmd.action((words: string[], flags: ExportFlags) => runAction(io(), 'export', () => exportEvents(words, flags, io())));
}

async function exportEvents(words: readonly string[], flags: ExportFlags, io: CliIo): Promise<number> {
  const format = FORMATS.find((f) => f === flags.format?.toLowerCase());
  if (format === undefined) throw new CliUsageError(`--format: ${JSON.stringify(flags.format)} is not one of ${FORMATS.join(', ')}`);
  if (flags.output !== undefined && flags.output.trim() === '') throw new CliUsageError('--output: empty; leave the flag out to write to stdout');
  const query = { ...eventQueryFromFlags(flags, words, io.now()), order: 'asc' as const };
  const { store } = openStore(flags, io);
  const progress = new ProgressLine(io.stderr);
  let read = 0;
  // Counts as events stream past, so a long export shows it is moving.
  const counted = function* (events: Iterable<AuditEvent>): Generator<AuditEvent> {
    for (const e of events) {
      read++;
      progress.update(`exporting: ${formatCount(read)} events read`);
      yield e;
    }
  };
  try {
    const options = format === 'ocsf' ? { map: toOcsfApiActivity } : {};
    let written: number;
    if (flags.output === undefined) {
      // Ending the adapter waits until stdout has taken every line; stdout itself stays open.
      written = await writeJsonl(counted(store.events(query)), writableOf(io.stdout), { ...options, end: true });
    } else {
      written = await toFile(flags.output, (out) => writeJsonl(counted(store.events(query)), out, { ...options, end: true }));
    }
    progress.clear();
    if (flags.output !== undefined || io.stderr.isTTY === true) {
      const dest = flags.output === undefined ? '' : ` to ${flags.output}`;
      io.stderr.write(`exported ${formatCount(written)} ${format === 'ocsf' ? 'OCSF records' : 'events'}${dest} (${formatCount(read)} events read)\n`);
    }
    return 0;
  } finally {
    progress.clear();
    store.close();
  }
}

/**
 * Writes through a temporary file beside `path`, renamed over it once
 * complete: an interrupted export never leaves a truncated file that looks
 * whole. Owner-only permissions, as the trail names people and resources.
 */
async function toFile(path: string, write: (out: Writable) => Promise<number>): Promise<number> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  const out = createWriteStream(tmp, { mode: 0o600, flags: 'wx' });
  try {
    await new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve());
      out.once('error', reject);
    });
    const n = await write(out);
    renameSync(tmp, path);
    return n;
  } catch (err) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** A Writable over the command's stdout that passes on the stream's back-pressure. */
function writableOf(stream: OutputStream): Writable {
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      if (stream.write(chunk.toString())) callback();
      else stream.once('drain', () => callback());
    },
  });
}
