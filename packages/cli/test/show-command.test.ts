import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SessionTree } from '@agentrail/collector';
import { IDS, T0 } from './support/audit-trail.js';
import { CaptureStream, runCli } from './support/run-cli.js';
import { createTrailStore, type TrailStore } from './support/trail-store.js';

const now = new Date(T0 + 300_000);
let trail: TrailStore;

beforeAll(() => {
  trail = createTrailStore();
});
afterAll(() => trail.remove());

describe('agentrail show', () => {
  it('draws the session tree three levels deep, with each call under its session', async () => {
    const r = await runCli(['show', IDS.root, '--store', trail.path], { now });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${IDS.root}  alice@corp → Pod agents/planner  ·  agents/planner  ·  3 calls, 1 denied  ·  chain intact  ·  ended`));
    expect(lines.filter((l) => /ses_/.test(l)).map((l) => l.slice(0, l.indexOf('ses_') + 28))).toEqual([
      IDS.root,
      `├─ ${IDS.sweeper}`,
      `│  └─ ${IDS.cleanup}`,
      `└─ ${IDS.reporter}`,
    ]);
    expect(r.stdout).toMatch(/\n│ {8}14:00:21\.000 {2}Deny {3}s3:DeleteObject {3}arn:aws:s3:::reports-2025\/q1\.csv +403 AccessDenied +0\.4 ms\n/);
    expect(r.stdout).toMatch(/\n│ {8}14:00:22\.000 {2}Allow {2}s3:GetObject +arn:aws:s3:::reports-2025\/q9\.csv +404 NoSuchKey +31 ms\n/);
    expect(r.stdout).not.toContain(IDS.other);
  });

  it('shows a subtree from any session', async () => {
    const r = await runCli(['show', IDS.sweeper, '--store', trail.path], { now });
    expect(r.stdout.split('\n')[0]).toContain(`${IDS.sweeper}  alice@corp → Pod agents/planner → Agent sweeper`);
    expect(r.stdout).toContain(`└─ ${IDS.cleanup}`);
    expect(r.stdout).not.toContain(IDS.reporter);
  });

  it('fits a terminal and prints the tree as JSON with --json', async () => {
    const stdout = new CaptureStream({ tty: true, columns: 80 });
    await runCli(['show', IDS.root, '--store', trail.path], { now, stdout, env: { NO_COLOR: '1' } });
    for (const line of stdout.text.trimEnd().split('\n')) expect([...line].length).toBeLessThanOrEqual(80);

    const r = await runCli(['show', IDS.root, '--store', trail.path, '--json'], { now });
    const tree = JSON.parse(r.stdout) as SessionTree;
    expect(tree.session.id).toBe(IDS.root);
    expect(tree.children.map((c) => c.session.id).sort()).toEqual([IDS.sweeper, IDS.reporter].sort());
    expect(tree.children.find((c) => c.session.id === IDS.sweeper)!.children[0]!.session.id).toBe(IDS.cleanup);
  });

  it('colours denials only on a terminal without NO_COLOR', async () => {
    const tty = new CaptureStream({ tty: true, columns: 200 });
    await runCli(['show', IDS.root, '--store', trail.path], { now, stdout: tty });
    expect(tty.text).toContain('\u001b[31m');
    const noColor = new CaptureStream({ tty: true, columns: 200 });
    await runCli(['show', IDS.root, '--store', trail.path], { now, stdout: noColor, env: { NO_COLOR: '1' } });
    expect(noColor.text).not.toContain('\u001b[');
  });

  it('exits 1 for an unknown session and 2 without one', async () => {
    const r = await runCli(['show', 'ses_nope', '--store', trail.path], { now });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`agentrail show: no session ses_nope in ${trail.path}\n`);
    const missing = await runCli(['show', '--store', trail.path], { now });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'session'");
  });
});
