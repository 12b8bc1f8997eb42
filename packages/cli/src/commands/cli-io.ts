import { homedir } from 'node:os';

/** Where a command writes: process.stdout/stderr, or a capture in tests. */
export interface OutputStream {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
  isTTY?: boolean;
  /** Terminal width, when a terminal. */
  columns?: number;
}

/**
 * Everything a command touches outside its arguments. Commands take it as a
 * parameter so tests run them in-process with captured output, a fixed clock
 * and a Ctrl-C they can press.
 */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Readonly<Record<string, string | undefined>>;
  homedir: string;
  now(): Date;
  /**
   * A signal that aborts when the user interrupts (Ctrl-C, SIGTERM) — long
   * running commands (`tail`) stop on it. Listening starts at the call.
   */
  interrupted(): AbortSignal;
  /** Records the exit code of a finished command; output is flushed before the process ends. */
  setExitCode(code: number): void;
  /** Ends the command now (commander's usage errors, `--help`); does not return. */
  abort(code: number): never;
}

/**
 * The real process. Call it when a command starts: it makes a closed stdout
 * (`agentrail search | head`) end the command quietly instead of crashing on
 * EPIPE.
 */
export function processIo(): CliIo {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    homedir: homedir(),
    now: () => new Date(),
    interrupted: () => {
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return controller.signal;
    },
    setExitCode: (code) => {
      process.exitCode = code;
    },
    abort: (code) => process.exit(code),
  };
}

/**
 * Writes text, waiting when the stream's buffer is full, so a large export or
 * search piped into a slow reader does not pile up in memory.
 */
export async function writeOut(stream: OutputStream, text: string): Promise<void> {
  if (text === '' || stream.write(text)) return;
  await new Promise<void>((resolve) => stream.once('drain', resolve));
}

/** The terminal width for tables, when stdout is a terminal; undefined otherwise (no cutting beyond column caps). */
export function terminalWidth(stream: OutputStream): number | undefined {
  return stream.isTTY === true && stream.columns !== undefined && stream.columns > 0 ? stream.columns : undefined;
}
