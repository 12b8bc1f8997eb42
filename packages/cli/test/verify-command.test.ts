import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { VerifyReport } from '@agentrail/collector';
import { IDS } from './support/audit-trail.js';
import { CaptureStream, runCli } from './support/run-cli.js';
import { StoreTamperer } from './support/tamper.js';
import { createTrailStore, type TrailStore } from './support/trail-store.js';

let trail: TrailStore;

beforeEach(() => {
  trail = createTrailStore();
});
afterEach(() => trail.remove());

const verify = (...args: string[]) => runCli(['verify', '--store', trail.path, ...args]);
const tamper = (f: (t: StoreTamperer) => void): void => {
  const t = new StoreTamperer(trail.path);
  try {
    f(t);
  } finally {
    t.close();
  }
};

describe('agentrail verify', () => {
  it('says every chain is intact, exit 0', async () => {
    const r = await verify();
    expect(r).toEqual({ code: 0, stdout: 'OK: 5 sessions, 18 events, every chain intact\n', stderr: '' });
  });

  it('names the session and seq of an event changed after it was sealed, exit 1', async () => {
    // Turn the denied DeleteObject of the grandchild session into an allowed one.
    tamper((t) => t.editEvent(IDS.cleanup, 2, (json) => json.replace('"action":"Deny"', '"action":"Allow"')));
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^session ${IDS.cleanup} seq 2: hash-mismatch — the event was changed after it was sealed`, 'm'));
    expect(r.stdout).toMatch(/^FAILED: \d+ breaks? in 1 session \(checked 5 sessions, 18 events\)\n$/m);
  });

  it('names the missing seq when an event was deleted', async () => {
    tamper((t) => t.deleteEvent(IDS.sweeper, 3));
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`session ${IDS.sweeper} seq 3: seq-gap — seq 3 is missing`);
  });

  it('verifies one session with --session, and reports as JSON with --json', async () => {
    tamper((t) => t.deleteEvent(IDS.sweeper, 2));
    const other = await verify('--session', IDS.other);
    expect(other.code).toBe(0);
    expect(other.stdout).toBe('OK: 1 session, 2 events, every chain intact\n');

    const json = await verify('--session', IDS.sweeper, '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as VerifyReport;
    expect(report.breaks).toEqual([expect.objectContaining({ session: IDS.sweeper, seq: 2, kind: 'seq-gap' })]);
  });

  it('shows progress on a terminal stderr only', async () => {
    const stderr = new CaptureStream({ tty: true });
    const r = await runCli(['verify', '--store', trail.path], { stderr });
    expect(r.code).toBe(0);
    expect(stderr.text).toMatch(/verifying \d+\/18 events/);
    expect(stderr.text.endsWith('\r\u001b[K')).toBe(true);
  });

  it('exits 2 for an unknown session, so a typo does not read as tampering', async () => {
    const r = await verify('--session', 'ses_typo');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--session: no session ses_typo');
  });
});
