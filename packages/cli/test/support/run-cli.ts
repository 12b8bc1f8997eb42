import { Command } from 'commander';
import { registerAuditCommands } from '../../src/commands/audit-commands.js';
import type { CliIo, OutputStream } from '../../src/commands/cli-io.js';

/** A stream that keeps what is written, posing as a terminal or a pipe. */
export class CaptureStream implements OutputStream {
  text = '';
  readonly isTTY: boolean;
  readonly columns: number | undefined;
  private readonly waiters: { match: (t: string) => boolean; resolve: () => void }[] = [];

  constructor(opts: { tty?: boolean; columns?: number } = {}) {
    this.isTTY = opts.tty ?? false;
    this.columns = opts.columns;
  }

  write(chunk: string): boolean {
    this.text += chunk;
    for (const w of [...this.waiters]) {
      if (!w.match(this.text)) continue;
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
    return true;
  }

  once(): this {
    return this;
  }

  /** Resolves once the text written so far satisfies `match`; rejects after `timeoutMs`. */
  waitFor(match: (text: string) => boolean, timeoutMs = 5_000): Promise<void> {
    if (match(this.text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; output so far:\n${this.text}`)), timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ match, resolve: done });
    });
  }
}

/** How a test runs the CLI in-process. */
export interface RunOptions {
  env?: Record<string, string>;
  /** The clock; real time when omitted. */
  now?: Date;
  stdout?: CaptureStream;
  stderr?: CaptureStream;
  /** Aborting it is pressing Ctrl-C. */
  interrupt?: AbortSignal;
  home?: string;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/**
 * Runs `agentrail ARGS...` in-process: the same commander program and
 * commands as the real binary, with output captured and nothing read from
 * this process's environment.
 */
export async function runCli(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  const stdout = opts.stdout ?? new CaptureStream();
  const stderr = opts.stderr ?? new CaptureStream();
  let code = 0;
  const io: CliIo = {
    stdout,
    stderr,
    env: opts.env ?? {},
    homedir: opts.home ?? '/nonexistent-home',
    now: () => opts.now ?? new Date(),
    interrupted: () => opts.interrupt ?? new AbortController().signal,
    setExitCode: (c) => {
      code = c;
    },
    abort: (c) => {
      throw new Exit(c);
    },
  };
  const program = new Command().name('agentrail').exitOverride();
  registerAuditCommands(program, () => io);
  try {
    await program.parseAsync(['node', 'agentrail', ...args]);
  } catch (err) {
    if (!(err instanceof Exit)) throw err;
    code = err.code;
  }
  return { code, stdout: stdout.text, stderr: stderr.text };
}
