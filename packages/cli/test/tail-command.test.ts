import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { AuditEvent } from '@agentrail/core';
import { SessionWriter } from './support/audit-trail.js';
import { CaptureStream, runCli } from './support/run-cli.js';
import { createTrailStore, type TrailStore } from './support/trail-store.js';

let trail: TrailStore;

// A store per test: each inserts live events the next must not see.
beforeEach(() => {
  trail = createTrailStore();
});
afterEach(() => trail.remove());

/** A fresh sealed session of `calls` allowed calls, stamped around `origin`. */
function session(id: string, origin: number, calls: number): AuditEvent[] {
  const out: AuditEvent[] = [];
  const w = new SessionWriter(out, id, [{ type: 'User', name: 'carol@corp' }, { type: 'Agent', name: 'watcher' }], { host: 'laptop' }, undefined, origin);
  w.started(0);
  for (let i = 1; i <= calls; i++) w.call(i, 's3:GetObject', `arn:aws:s3:::live/${i}`, i % 2 === 0 ? 'Deny' : 'Allow');
  return out;
}

const jsonIds = (text: string): string[] => text.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as AuditEvent).id);

describe('agentrail tail', () => {
  it('prints new events as they are stored, late ones too, each once, until Ctrl-C', async () => {
    const stdout = new CaptureStream();
    const ctrlC = new AbortController();
    const run = runCli(['tail', '--store', trail.path, '--json', '--poll-ms', '50'], { stdout, interrupt: ctrlC.signal });
    // What is stored before tail starts is history, not printed.
    await new Promise((r) => setTimeout(r, 200));
    expect(stdout.text).toBe('');

    const first = session('ses_live00000000000000000001', Date.now(), 3);
    trail.insert(first.slice(0, 2));
    await stdout.waitFor((t) => jsonIds(t).length === 2);
    trail.insert(first.slice(2));
    // Stamped 20 s ago but stored now: a sidecar replaying its spool.
    const late = session('ses_live00000000000000000002', Date.now() - 20_000, 1);
    trail.insert(late);
    await stdout.waitFor((t) => jsonIds(t).length === 6);
    await new Promise((r) => setTimeout(r, 300));

    ctrlC.abort();
    const r = await run;
    expect(r.code).toBe(0);
    const printed = jsonIds(stdout.text);
    expect(printed).toHaveLength(6);
    expect(new Set(printed).size).toBe(6);
    expect(printed.sort()).toEqual([...first, ...late].map((e) => e.id).sort());
  });

  it('applies filters, prints a table, and backfills from --since', async () => {
    const origin = Date.now() - 5_000;
    trail.insert(session('ses_live00000000000000000003', origin, 4));
    const stdout = new CaptureStream();
    const ctrlC = new AbortController();
    const run = runCli(['tail', '--store', trail.path, '--since', new Date(origin).toISOString(), '--decision', 'Deny', '--poll-ms', '50'], { stdout, interrupt: ctrlC.signal });
    await stdout.waitFor((t) => t.split('\n').length >= 4);
    trail.insert(session('ses_live00000000000000000004', Date.now(), 2));
    await stdout.waitFor((t) => t.includes('ses_live00000000000000000004'));
    ctrlC.abort();
    expect((await run).code).toBe(0);
    const lines = stdout.text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+SESSION/);
    expect(lines.filter((l) => l.startsWith('TIME'))).toHaveLength(1);
    expect(lines.slice(1).every((l) => /\sDeny\s+403 AccessDenied$/.test(l))).toBe(true);
    expect(lines).toHaveLength(4);
  });

  it('rejects flags that make no sense for a live view', async () => {
    const r = await runCli(['tail', '--store', trail.path, '--limit', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--limit'");
  });
});
