/**
 * Child processes for test peers and real clients: each runs in its own process
 * group so a timeout or a stop ends everything it started, and a process 'exit'
 * hook kills whatever a failing test left running.
 *
 * Under jest that hook is only a formality: test code sees a copy of `process`
 * whose 'exit' event never fires. What really bounds a child's life there is
 * its own watchdog — moto exits when the pipe to this process closes, and every
 * client runs under coreutils `timeout`, which kills its group even after this
 * process is gone.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/** Process groups still alive, killed by the exit hook if nobody stopped them. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killLiveGroups(): void {
  for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  liveGroups.clear();
}

/**
 * Registers a process group for the exit-time safety net. The hook is added only
 * while groups are live (and removed after), so many test files in one jest
 * worker do not pile up listeners.
 */
export function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  if (!exitHookInstalled) {
    process.on('exit', killLiveGroups);
    exitHookInstalled = true;
  }
}

/** Removes a group from the safety net once it has been stopped. */
export function untrackGroup(pgid: number): void {
  liveGroups.delete(pgid);
  if (liveGroups.size === 0 && exitHookInstalled) {
    process.off('exit', killLiveGroups);
    exitHookInstalled = false;
  }
}

/**
 * Signals a whole process group; a group that is already gone is not an error.
 *
 * @returns whether any process received the signal.
 */
export function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** Whether any process of the group is still alive (signal 0 only checks). */
export function groupAlive(pgid: number): boolean {
  return killGroup(pgid, 0);
}

/**
 * Whether a process is gone: no such pid, or a zombie waiting for a parent that
 * is not ours to reap it (Linux /proc).
 */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw err;
  }
  try {
    // The state follows the parenthesised command name, which may itself contain spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Waits until {@link processGone} says so, or the timeout passes; returns the final answer. */
export async function waitForProcessGone(pid: number, timeoutMs = 5_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!processGone(pid) && Date.now() < until) await delay(20, undefined, { ref: false });
  return processGone(pid);
}

/**
 * Spawns `command` as the leader of a new process group with exactly `env`.
 * The caller owns the group: stop it with {@link killGroup} and {@link untrackGroup}.
 */
export function spawnGroup(
  command: string,
  args: readonly string[],
  options: { env: Record<string, string>; cwd?: string },
): ChildProcess & { pid: number } {
  const child = spawn(command, args, {
    env: options.env,
    cwd: options.cwd,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) {
    // spawn reports ENOENT as an 'error' event later; answer now with a clear message instead.
    child.once('error', () => undefined);
    throw new Error(`could not start ${command}`);
  }
  trackGroup(child.pid);
  return child as ChildProcess & { pid: number };
}

/** What a finished client process produced. */
export interface RunResult {
  /** Exit code, or null when it was ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the timeout ended it. */
  timedOut: boolean;
  durationMs: number;
}

/** How to run a client process. */
export interface RunOptions {
  /** The complete environment the process sees (see `cleanEnv`). */
  env: Record<string, string>;
  /** Written to stdin, which is then closed. */
  input?: string | Buffer;
  /** Kill the whole process group after this long; default 60 s. */
  timeoutMs?: number;
  cwd?: string;
}

/** Output beyond this is dropped: a runaway client must not exhaust the test's memory. */
const MAX_CAPTURE_BYTES = 16 * 1024 * 1024;

function capture(stream: NodeJS.ReadableStream | null): () => string {
  const parts: Buffer[] = [];
  let size = 0;
  stream?.on('data', (chunk: Buffer) => {
    if (size >= MAX_CAPTURE_BYTES) return;
    parts.push(chunk);
    size += chunk.length;
  });
  return () => Buffer.concat(parts).toString('utf8');
}

/**
 * Runs a command to completion in its own process group and captures its output.
 * Never rejects for a non-zero exit: tests assert on {@link RunResult}.
 */
export function runProcess(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 60_000;
    // The timer below is the precise limit; `timeout` is the backstop that still
    // fires when this process died without killing the group.
    const backstop = ['-s', 'KILL', String(Math.ceil(timeoutMs / 1000) + 5), command, ...args];
    let child: ChildProcess & { pid: number };
    try {
      child = spawnGroup('timeout', backstop, { env: options.env, cwd: options.cwd });
    } catch (err) {
      reject(err);
      return;
    }
    const stdout = capture(child.stdout);
    const stderr = capture(child.stderr);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      untrackGroup(child.pid);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      // The leader is gone; anything it left behind in its group goes too.
      killGroup(child.pid, 'SIGKILL');
      untrackGroup(child.pid);
      resolve({ code, signal, stdout: stdout(), stderr: stderr(), timedOut, durationMs: Date.now() - started });
    });
    child.stdin?.on('error', () => undefined); // a client that exits early closes its stdin: not our failure
    child.stdin?.end(options.input);
  });
}

let python: string | undefined;

/**
 * The Python interpreter that has moto, boto3 and AWS CLI v1 installed.
 *
 * `python3` on PATH may be a version-manager shim that needs the user's HOME and
 * environment; clients run with a clean environment and a throwaway HOME, so the
 * real interpreter path is resolved once, here, with the parent's environment.
 * `AGENTRAIL_TEST_PYTHON` overrides it.
 */
export function pythonExecutable(): string {
  if (python === undefined) {
    const configured = process.env.AGENTRAIL_TEST_PYTHON;
    python =
      configured ??
      execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  }
  return python;
}
