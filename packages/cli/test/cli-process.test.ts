/**
 * The built `agentrail` binary as users run it: exit codes, stdout/stderr,
 * and Ctrl-C on `tail`. Everything else is tested in-process (faster); these
 * check the wiring in main.ts and the real process I/O.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { IDS } from './support/audit-trail.js';
import { createTrailStore, type TrailStore } from './support/trail-store.js';

const CLI_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
let trail: TrailStore;

beforeAll(() => {
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: build first (make build) — these tests run the real CLI`);
  trail = createTrailStore();
});
afterAll(() => trail?.remove());

const env = { PATH: process.env['PATH'] ?? '', HOME: '/nonexistent-home' };
const agentrail = (...args: string[]) => spawnSync(process.execPath, [CLI_MAIN, ...args], { env, encoding: 'utf8', timeout: 20_000 });

describe('the agentrail binary', () => {
  it('lists sessions and verifies the store, exit 0', () => {
    const sessions = agentrail('sessions', '--store', trail.path, '--roots');
    expect(sessions.status).toBe(0);
    expect(sessions.stdout).toContain(IDS.root);
    const verify = agentrail('verify', '--store', trail.path);
    expect(verify.stdout).toMatch(/^OK: 5 sessions, \d+ events, every chain intact\n$/);
    expect(verify.status).toBe(0);
  });

  it('exits 2 for a missing store and for a bad flag value', () => {
    const missing = agentrail('sessions');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no audit store at /nonexistent-home/.agentrail/audit.db');
    const bad = agentrail('search', '--store', trail.path, '--decision', 'Perhaps');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--decision');
    const unknown = agentrail('sessions', '--store', trail.path, '--nope');
    expect(unknown.status).toBe(2);
  });

  it('stops tail on Ctrl-C with exit 0', async () => {
    const child = spawn(process.execPath, [CLI_MAIN, 'tail', '--store', trail.path, '--since', '2025-11-26T14:00:00Z', '--session', IDS.other], { env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tail printed nothing: ${out}`)), 10_000);
      child.stdout.on('data', () => {
        if (!out.includes('sts:GetCallerIdentity')) return;
        clearTimeout(timer);
        resolve();
      });
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toMatch(/^TIME\s+SESSION/);
  });

  it('shows help for the audit commands', () => {
    const help = agentrail('search', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--operation <glob>');
    expect(help.stdout).toContain('--token-file <file>');
  });
});
