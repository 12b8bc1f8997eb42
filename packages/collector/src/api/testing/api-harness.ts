import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '@agentrail/core';

/** A real HTTP server on a free loopback port. */
export interface Served {
  url: string;
  close(): Promise<void>;
}

export async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Served> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A logger that keeps what it is given in `lines` instead of printing it (and
 * `text()` for checking what must never be logged, like tokens).
 */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[]; text: () => string } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('debug');
  // Keep core's logger (its format and levels) but catch entries where its console transport would print them.
  for (const transport of logger.transports) {
    transport.log = (entry: Record<string, unknown>, next: () => void): void => {
      lines.push(entry);
      next();
    };
  }
  return { logger, lines, text: () => lines.map((l) => JSON.stringify(l)).join('\n') };
}

/** A response as a test looks at it. */
export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON, or undefined for an empty or non-JSON body. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests index freely into replies
}

export async function request(url: string, opts: { token?: string; method?: string; authorization?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  const res = await fetch(url, { method: opts.method ?? 'GET', headers });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

/**
 * A loopback URL where nothing listens: a port that was just free. (Low ports
 * like 1 will not do — fetch refuses them as "bad port" before connecting.)
 */
export async function deadUrl(): Promise<string> {
  const served = await serve(() => undefined);
  await served.close();
  return served.url;
}
