import { AgentRailError } from '@agentrail/core';

/**
 * Errors the `agentrail` audit commands end with. `code` is stable; `exitCode`
 * is what the process exits with: 2 for a usage problem the user fixes on the
 * command line, 1 for a failure while doing the work.
 */
export class CliError extends AgentRailError {
  readonly exitCode: number;

  constructor(code: string, exitCode: number, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.exitCode = exitCode;
  }
}

/** A bad flag value, a missing store, flags that do not go together. Exit 2. */
export class CliUsageError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CLI_USAGE', 2, message, options);
  }
}

/** The thing asked for does not exist (an unknown session). Exit 1. */
export class CliNotFoundError extends CliError {
  constructor(message: string) {
    super('CLI_NOT_FOUND', 1, message);
  }
}
