import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/**
 * Runs the command with inherited stdio and the given environment, passing
 * SIGINT/SIGTERM/SIGHUP on to it, and resolves with the exit status a shell
 * would report (the child's code, or 128 + the signal's number).
 */
export function runChild(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals) => () => { child.kill(sig); };
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => [sig, forward(sig)] as const);
    for (const [sig, h] of handlers) process.on(sig, h);
    const cleanup = () => { for (const [sig, h] of handlers) process.off(sig, h); };
    child.once('error', (err) => {
      cleanup();
      reject(new Error(`cannot run ${command}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'command not found' : err.message}`, { cause: err }));
    });
    child.once('exit', (code, signal) => {
      cleanup();
      resolve(code ?? 128 + (signal !== null ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
