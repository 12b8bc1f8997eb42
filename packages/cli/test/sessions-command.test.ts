import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SessionSummary } from '@agentrail/collector';
import { IDS, T0 } from './support/audit-trail.js';
import { runCli } from './support/run-cli.js';
import { createTrailStore, type TrailStore } from './support/trail-store.js';

const now = new Date(T0 + 300_000);
let trail: TrailStore;

beforeAll(() => {
  trail = createTrailStore();
});
afterAll(() => trail.remove());

const sessions = (...args: string[]) => runCli(['sessions', '--store', trail.path, ...args], { now });
const ids = (stdout: string): string[] => stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0]!).sort();

describe('agentrail sessions', () => {
  it('lists every session with its parent, chain, location, counts and chain status', async () => {
    const r = await sessions();
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^SESSION\s+PARENT\s+INITIATOR\s+CHAIN\s+WHERE\s+CALLS\s+DENIED\s+CHAIN STATUS\s+LAST ACTIVITY$/);
    expect(ids(r.stdout)).toEqual(Object.values(IDS).sort());
    const cleanup = r.stdout.split('\n').find((l) => l.startsWith(IDS.cleanup))!;
    expect(cleanup).toMatch(new RegExp(`^${IDS.cleanup}\\s+${IDS.sweeper}\\s+alice@corp\\s+alice@corp → Pod agents/planner → Agent sweeper → Agent s3-cleanup\\s+agents/planner\\s+2\\s+1\\s+intact\\s+4m ago \\(2025-11-26 14:00:23Z\\)$`));
    expect(r.stdout.split('\n').find((l) => l.startsWith(IDS.other))).toMatch(/bob@corp → Host ci-runner-7\s+ci-runner-7\s+1\s+0\s+intact/);
  });

  it('filters by initiator, agent, chain member, namespace and roots', async () => {
    expect(ids((await sessions('--initiator', 'bob@corp')).stdout)).toEqual([IDS.other]);
    expect(ids((await sessions('--agent', 'sweeper')).stdout)).toEqual([IDS.sweeper, IDS.cleanup].sort());
    expect(ids((await sessions('--chain', 'Agent reporter')).stdout)).toEqual([IDS.reporter]);
    expect(ids((await sessions('--namespace', 'agents', '--roots')).stdout)).toEqual([IDS.root]);
    expect(ids((await sessions('--roots')).stdout)).toEqual([IDS.root, IDS.other].sort());
  });

  it('filters by time, relative or absolute', async () => {
    expect(ids((await sessions('--since', '2025-11-26T14:01:30Z')).stdout)).toEqual([IDS.other]);
    const r = await sessions('--since', '1m');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('no sessions match\n');
  });

  it('prints one JSON summary per line with --json', async () => {
    const r = await sessions('--json', '--roots');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as SessionSummary);
    expect(lines.map((s) => s.id).sort()).toEqual([IDS.root, IDS.other].sort());
    expect(lines.find((s) => s.id === IDS.root)).toMatchObject({ calls: 3, denied: 1, chainStatus: 'intact' });
  });

  it('reads the store named by AGENTRAIL_STORE', async () => {
    const r = await runCli(['sessions', '--roots'], { now, env: { AGENTRAIL_STORE: trail.path } });
    expect(ids(r.stdout)).toEqual([IDS.root, IDS.other].sort());
  });

  it('reads audit.db in AGENTRAIL_HOME, where `agentrail run` writes it', async () => {
    const r = await runCli(['sessions', '--roots'], { now, env: { AGENTRAIL_HOME: trail.dir } });
    expect(ids(r.stdout)).toEqual([IDS.root, IDS.other].sort());
  });

  it('refuses a store that does not exist, exit 2, and does not create it', async () => {
    const missing = join(trail.dir, 'nope.db');
    const r = await runCli(['sessions', '--store', missing], { now });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no audit store at ${missing}`);
    expect(existsSync(missing)).toBe(false);
    const dflt = await runCli(['sessions'], { now, home: trail.dir });
    expect(dflt.code).toBe(2);
    expect(dflt.stderr).toContain(join(trail.dir, '.agentrail', 'audit.db'));
  });

  it.each([
    [['--since', 'yesterday'], '--since: "yesterday" is not a time'],
    [['--until', '2025-02-30'], '--until: "2025-02-30" is not a time: no such date'],
    [['--limit', 'ten'], '--limit: "ten" is not a whole number from 1 to 10000'],
    [['--limit', '0'], '--limit: "0" is not a whole number'],
    [['--since', '1h', '--until', '2h'], 'is after --until'],
    [['--initiator', ''], '--initiator: empty'],
    [['--server', 'ftp://x', '--store', 'y'], '--store and --server: give one'],
    [['--token-file', 'x'], '--token-file: only meaningful together with --server'],
  ])('rejects %j naming the flag, exit 2', async (args, message) => {
    const r = await sessions(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('exits 2 for flags commander does not know', async () => {
    const r = await sessions('--colour');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--colour'");
  });
});
