/**
 * The logging surface the controller's parts need. A winston logger from
 * `createLogger` (@agentrail/core) fits; tests pass a recording one. Keys are
 * the fixed vocabulary of core's `LogFields` (`namespace`, `name`, `code`, …).
 */
export interface ControllerLog {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** Discards everything (the default when no logger is given). */
export const silentLog: ControllerLog = { debug() {}, info() {}, warn() {}, error() {} };
