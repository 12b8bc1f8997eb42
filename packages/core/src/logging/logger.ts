import winston from 'winston';

/** Fixed log keys, so every component's logs can be queried the same way. */
export type LogFields = {
  component?: string;
  session?: string;
  namespace?: string;
  pod?: string;
  requestId?: string;
  code?: string;
  [key: string]: unknown;
};

export type Logger = winston.Logger;

/**
 * Structured JSON logs on stderr (stdout stays free for command output). The
 * audit trail never goes through here.
 */
export function createLogger(level: string, fields: LogFields = {}): Logger {
  return winston.createLogger({
    level,
    defaultMeta: fields,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
  });
}
