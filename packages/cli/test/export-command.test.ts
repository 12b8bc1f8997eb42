import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verifyChain, type AuditEvent } from '@agentrail/core';
import { buildTrail, IDS } from './support/audit-trail.js';
import { CaptureStream, runCli } from './support/run-cli.js';
import { createTrailStore, type TrailStore } from './support/trail-store.js';

let trail: TrailStore;
const all = buildTrail();

beforeAll(() => {
  trail = createTrailStore(all);
});
afterAll(() => trail.remove());

const lines = (text: string): Record<string, unknown>[] => text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('agentrail export', () => {
  it('streams every event as JSON Lines, oldest first, each still verifiable', async () => {
    const r = await runCli(['export', '--store', trail.path]);
    expect(r.code).toBe(0);
    const events = lines(r.stdout) as unknown as AuditEvent[];
    expect(events).toHaveLength(all.length);
    expect(events.map((e) => e.time)).toEqual([...events.map((e) => e.time)].sort());
    for (const id of Object.values(IDS)) {
      expect(verifyChain(events.filter((e) => e.session.id === id).sort((a, b) => a.session.seq - b.session.seq))).toEqual([]);
    }
    // Not a terminal: no progress or summary mixed into a pipe's stderr.
    expect(r.stderr).toBe('');
  });

  it('writes OCSF API Activity records for the calls', async () => {
    const r = await runCli(['export', '--store', trail.path, '--format', 'ocsf', '--session', IDS.sweeper, '--descendants']);
    expect(r.code).toBe(0);
    const records = lines(r.stdout);
    expect(records).toHaveLength(4);
    expect(records.every((o) => o['class_uid'] === 6003)).toBe(true);
  });

  it('writes a file with owner-only permissions, replaced only when complete', async () => {
    const file = join(trail.dir, 'denied.jsonl');
    const r = await runCli(['export', '--store', trail.path, '--decision', 'Deny', '--output', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`exported 3 events to ${file} (3 events read)\n`);
    expect(lines(readFileSync(file, 'utf8'))).toHaveLength(3);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(trail.dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('shows progress on a terminal', async () => {
    const stderr = new CaptureStream({ tty: true });
    const r = await runCli(['export', '--store', trail.path, '--type', 'aws.call'], { stderr });
    expect(r.code).toBe(0);
    expect(stderr.text).toContain('exporting: 1 events read');
    expect(stderr.text.endsWith('\r\u001b[Kexported 9 events (9 events read)\n')).toBe(true);
  });

  it.each([
    [['--format', 'csv'], '--format: "csv" is not one of jsonl, ocsf'],
    [['--output', ''], '--output: empty'],
    [['--since', 'soon'], '--since'],
  ])('rejects %j, exit 2', async (args, message) => {
    const r = await runCli(['export', '--store', trail.path, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('leaves no file behind when the output directory does not exist', async () => {
    const file = join(trail.dir, 'missing-dir', 'x.jsonl');
    const r = await runCli(['export', '--store', trail.path, '--output', file]);
    expect(r.code).toBe(1);
    expect(existsSync(file)).toBe(false);
  });
});
