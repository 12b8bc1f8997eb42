/**
 * The sidecar as operators run it: `agentrail sidecar` from the built CLI, as
 * a child process in its own group, with exactly the environment the test
 * gives it. Nothing here imports AgentRail's packages; the CLI is a black box
 * that prints one JSON line of URLs on stdout once it listens.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { killGroup, runProcess, spawnGroup, untrackGroup, type RunResult } from './processes.js';

/** The built CLI entry point (`make build` produces it). */
export const CLI_MAIN = fileURLToPath(new URL('../../../cli/dist/main.js', import.meta.url));

/** Throws an actionable error when the CLI has not been built. */
export function requireBuiltCli(): void {
  if (!existsSync(CLI_MAIN)) {
    throw new Error(`${CLI_MAIN} is missing: build first (make build, or npx tsc -b) — these tests run the real CLI`);
  }
}

/** What the CLI prints on stdout once it listens. */
export interface CliEndpoints {
  explicit: string;
  credentials: string;
  ops: string;
  session: string;
}

/** A running `agentrail sidecar` process. */
export interface CliSidecar {
  pid: number;
  endpoints: CliEndpoints;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(sig: NodeJS.Signals): void;
  /** SIGKILLs the group if it is still running; safe to call twice. */
  kill(): Promise<void>;
}

/**
 * Starts `node <cli> sidecar ...args` and waits for its JSON line. Rejects (and
 * kills the process) when it exits first or prints nothing within `timeoutMs`.
 *
 * @example
 * const cli = await startCliSidecar(['--upstream-endpoint', upstream.endpoint, '--explicit-port', '0', ...], env);
 * await fetch(`${cli.endpoints.ops}/healthz`);
 * await cli.kill();
 */
export async function startCliSidecar(args: readonly string[], env: Record<string, string>, timeoutMs = 15_000): Promise<CliSidecar> {
  requireBuiltCli();
  const child = spawnGroup(process.execPath, [CLI_MAIN, 'sidecar', ...args], { env });
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      untrackGroup(child.pid);
      resolve({ code, signal });
    });
  });
  const kill = async (): Promise<void> => {
    killGroup(child.pid, 'SIGKILL');
    await exited;
  };
  const endpoints = await new Promise<CliEndpoints>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agentrail sidecar printed no endpoints within ${timeoutMs} ms; stderr:\n${stderr}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
      const nl = stdout.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout.slice(0, nl)) as CliEndpoints);
      } catch (err) {
        reject(new Error(`agentrail sidecar printed ${JSON.stringify(stdout.slice(0, nl))}, not JSON: ${String(err)}`));
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`agentrail sidecar exited (${code ?? signal}) before listening; stderr:\n${stderr}`));
    });
  }).catch(async (err: unknown) => {
    await kill();
    throw err;
  });
  return {
    pid: child.pid,
    endpoints,
    stderr: () => stderr,
    exited,
    signal: (sig) => {
      killGroup(child.pid, sig);
    },
    kill,
  };
}

/** Runs `agentrail sidecar ...args` to completion (for start-up failures). */
export function runCliSidecar(args: readonly string[], env: Record<string, string>, timeoutMs = 20_000): Promise<RunResult> {
  requireBuiltCli();
  return runProcess(process.execPath, [CLI_MAIN, 'sidecar', ...args], { env, timeoutMs });
}
