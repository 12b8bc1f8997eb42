/**
 * Starting and stopping the control plane's processes.
 *
 * Each process is a process-group leader (`detached`), logs to `<run>/logs/`,
 * has its pid in `<run>/pids/<layer>-<name>.pid`, and carries `AGENTRAIL_E2E_RUN=<run>`
 * in its environment. `e2e/scripts/stop-run.sh` kills exactly the groups whose
 * members carry that marker, so a stale pid file can never hit another process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const STOP_RUN = join(REPO_ROOT, 'e2e/scripts/stop-run.sh');
const WATCHDOG = join(REPO_ROOT, 'e2e/scripts/watchdog.sh');

/** A process started by {@link startProcess}. */
export interface ManagedProcess {
  name: string;
  pid: number;
  logFile: string;
  /** Set once the process has exited; a readiness wait fails fast on it. */
  exitCode: () => number | string | undefined;
}

export interface StartOptions {
  /**
   * Stop order: higher layers stop first (a process that depends on another is
   * started in a higher layer). Default 1.
   */
  layer?: number;
  env?: Record<string, string>;
  cwd?: string;
}

/** Starts `command` as its own process group, logging to `<run>/logs/<name>.log`. */
export function startProcess(runDir: string, name: string, command: string, args: string[], opts: StartOptions = {}): ManagedProcess {
  const logDir = join(runDir, 'logs');
  const pidDir = join(runDir, 'pids');
  mkdirSync(logDir, { recursive: true });
  mkdirSync(pidDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  writeFileSync(join(runDir, 'logs', `${name}.cmdline`), [command, ...args].join(' ') + '\n');
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    cwd: opts.cwd ?? runDir,
    env: { ...process.env, ...opts.env, AGENTRAIL_E2E_RUN: runDir },
  });
  closeSync(fd);
  if (child.pid === undefined) {
    throw new Error(`${name}: could not start ${command}`);
  }
  writeFileSync(join(pidDir, `${opts.layer ?? 1}-${name}.pid`), `${child.pid}\n`);
  let exit: number | string | undefined;
  child.on('exit', (code, signal) => {
    exit = code ?? signal ?? 'unknown';
  });
  child.on('error', (err) => {
    exit = err.message;
  });
  // The harness may exit (`make e2e-up`) while its children run on.
  child.unref();
  return { name, pid: child.pid, logFile, exitCode: () => exit };
}

/** Stops every process of the run (SIGTERM, then SIGKILL after a grace period). */
export function stopRun(runDir: string): void {
  const watchdog = join(runDir, 'watchdog.pid');
  if (existsSync(watchdog)) {
    // The watchdog would otherwise race this teardown once the parent exits.
    const pid = Number(readFileSync(watchdog, 'utf8'));
    if (isWatchdogOf(pid, runDir)) process.kill(pid, 'SIGKILL');
  }
  const res = spawnSync('bash', [STOP_RUN, runDir], { stdio: 'inherit' });
  if (res.status !== 0) {
    throw new Error(`stop-run.sh exited ${res.status ?? res.signal}`);
  }
}

function isWatchdogOf(pid: number, runDir: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes(WATCHDOG) && argv.includes(runDir);
  } catch {
    return false;
  }
}

/**
 * Stops the run's processes when `parentPid` dies however it dies (a SIGKILLed
 * jest, a crashed global setup), so no test run leaves processes behind.
 */
export function startWatchdog(runDir: string, parentPid: number, removeRunDir: boolean): void {
  const child = spawn('bash', [WATCHDOG, String(parentPid), runDir, removeRunDir ? 'remove' : 'keep'], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  writeFileSync(join(runDir, 'watchdog.pid'), `${child.pid}\n`);
}

/**
 * Reserves `count` distinct free loopback ports. All listeners stay open until
 * every port is chosen, so one call never returns the same port twice.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<Server>((res, rej) => {
      const s = createServer();
      s.once('error', rej);
      s.listen(0, '127.0.0.1', () => res(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** Resolves once a TCP connect to 127.0.0.1:port succeeds. */
export async function waitForPort(proc: ManagedProcess, port: number, timeoutMs: number): Promise<void> {
  await waitFor(proc, `port ${port}`, timeoutMs, () => new Promise<boolean>((res) => {
    const sock = connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      res(true);
    });
    sock.once('error', () => res(false));
  }));
}

/**
 * Polls `check` every 250 ms until it returns true. Fails at once, with the end of
 * the process log, if the process exits first; fails with the log at the deadline.
 */
export async function waitFor(proc: ManagedProcess, what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const code = proc.exitCode();
    if (code !== undefined) {
      throw new Error(`${proc.name} exited (${code}) before ${what} was ready:\n${tail(proc.logFile)}`);
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(`${proc.name}: ${what} not ready after ${timeoutMs} ms:\n${tail(proc.logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The last lines of a log, for error messages. */
export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
