import type { Writable } from 'node:stream';
import { canonicalJson, type AuditEvent } from '@agentrail/core';

/** How writeJsonl turns events into lines. */
export interface JsonlOptions {
  /**
   * Maps each event to the record written (an OCSF record, say); undefined
   * skips the event. Default: the event itself.
   */
  map?: (event: AuditEvent) => unknown;
  /** End the stream after the last line (default false: stdout stays open). */
  end?: boolean;
}

/**
 * Lines are gathered up to this size before a write: one write per event
 * costs more than the JSON does, and a chunk this size still lets the
 * stream's back-pressure act promptly.
 */
const CHUNK_BYTES = 64 * 1024;

/** Resolves when `out` drains; rejects when it fails or closes first (a consumer that went away must not hang the export). */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
      if (err !== undefined) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onError = (err: Error): void => done(err);
    const onClose = (): void => done(new Error('the output closed before the export finished'));
    out.on('drain', onDrain);
    out.on('error', onError);
    out.on('close', onClose);
  });
}

/**
 * Streams events as JSON Lines: one RFC 8785 canonical JSON record per line
 * (the form the hash chain is computed over, so an exported event can be
 * re-verified byte for byte). Waits for `drain` whenever the stream's buffer
 * is full, so memory stays bounded however long the trail. Resolves with the
 * number of lines written.
 *
 * @example await writeJsonl(store.events(query), process.stdout)
 * @example await writeJsonl(events, file, { map: toOcsfApiActivity, end: true })
 */
export async function writeJsonl(events: Iterable<AuditEvent> | AsyncIterable<AuditEvent>, out: Writable, options: JsonlOptions = {}): Promise<number> {
  if (out.destroyed || out.writableEnded) throw new Error('the output is closed');
  const map = options.map ?? ((e: AuditEvent) => e);
  let lines = 0;
  let chunk = '';
  const flush = async (): Promise<void> => {
    if (chunk === '') return;
    const ok = out.write(chunk);
    chunk = '';
    if (!ok) await drained(out);
  };
  for await (const event of events) {
    const record = map(event);
    if (record === undefined) continue;
    chunk += `${canonicalJson(record)}\n`;
    lines++;
    if (chunk.length >= CHUNK_BYTES) await flush();
  }
  await flush();
  if (options.end === true) {
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(() => {
        out.off('error', reject);
        resolve();
      });
    });
  }
  return lines;
}
