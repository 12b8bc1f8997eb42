/**
 * Bytes over a plain TCP socket, for inputs no HTTP client would send: garbage,
 * conflicting framing, truncated bodies, a client that vanishes mid-request.
 */
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** What one exchange saw. */
export interface SocketExchange {
  /** Everything the peer sent before the exchange ended. */
  data: Buffer;
  /** The peer ended or reset the connection (rather than our timeout ending it). */
  closedByPeer: boolean;
  /** The peer reset the connection (ECONNRESET, EPIPE). */
  reset: boolean;
  /** Our timeout ended the exchange while the connection was still open. */
  timedOut: boolean;
}

/** How to run one exchange. */
export interface ExchangeOptions {
  /** End the exchange (destroy the socket) after this long; default 3 s. */
  timeoutMs?: number;
  /** Pause between pieces, so each is a separate TCP segment. */
  pauseMs?: number;
  /**
   * After the last piece: `wait` for the peer (default), `half-close` (FIN, then
   * wait), or `destroy` right away — a client that vanishes mid-request.
   */
  after?: 'wait' | 'half-close' | 'destroy';
  /** With `wait`/`half-close`: stop once a complete response (Content-Length or chunked) arrived. */
  untilResponse?: boolean;
  /**
   * With `wait`: send a FIN when no complete response came this long after the
   * last piece — a client that gives up on an answer; the peer must then close.
   */
  finAfterMs?: number;
}

/**
 * Connects to `127.0.0.1:port`, writes `pieces` and collects the answer.
 *
 * @example
 * const r = await exchange(port, ['GARBAGE\r\n\r\n']);
 * expect(parseResponse(r.data)?.status).toBe(400);
 */
export function exchange(port: number, pieces: ReadonlyArray<string | Buffer>, options: ExchangeOptions = {}): Promise<SocketExchange> {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const after = options.after ?? 'wait';
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const parts: Buffer[] = [];
    let reset = false;
    let timedOut = false;
    let done = false;
    const finish = (closedByPeer: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(parts), closedByPeer, reset, timedOut });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      finish(false);
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      if (options.untilResponse === true && parseResponse(Buffer.concat(parts))?.complete === true) finish(false);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') reset = true;
      finish(true);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.once('connect', () => {
      void (async () => {
        for (const piece of pieces) {
          if (done) return;
          socket.write(piece);
          if (options.pauseMs !== undefined) await delay(options.pauseMs);
        }
        if (after === 'destroy') {
          // Let the last write leave before the socket goes.
          await delay(20);
          finish(false);
        } else if (after === 'half-close') socket.end();
        else if (options.finAfterMs !== undefined) {
          await delay(options.finAfterMs);
          if (!done) socket.end();
        }
      })();
    });
  });
}

/** The first HTTP/1.x response in `data`, as far as it arrived. */
export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The head and as many body bytes as Content-Length announced arrived. */
  complete: boolean;
}

/**
 * Parses the first final (non-1xx) response in `data`, Content-Length or chunked
 * framing; undefined before a full head.
 */
export function parseResponse(data: Buffer): ParsedResponse | undefined {
  let start = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', start);
    if (end < 0) return undefined;
    const lines = data.subarray(start, end).toString('latin1').split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (status === null) return undefined;
    if ((status[1] as string).startsWith('1')) {
      start = end + 4; // 100 Continue: the answer follows
      continue;
    }
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const rest = data.subarray(end + 4);
    if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      const { body, complete } = dechunk(rest);
      return { status: Number(status[1]), headers, body, complete };
    }
    const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
    const body = rest.subarray(0, length);
    return { status: Number(status[1]), headers, body, complete: length === undefined || body.length === length };
  }
}

/** Decodes a chunked body as far as it arrived. */
function dechunk(data: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) return { body: Buffer.concat(parts), complete: false };
    const size = parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (Number.isNaN(size)) return { body: Buffer.concat(parts), complete: false };
    if (size === 0) return { body: Buffer.concat(parts), complete: true };
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    if (data.length < eol + 2 + size + 2) return { body: Buffer.concat(parts), complete: false };
    at = eol + 2 + size + 2;
  }
}

/** Every HTTP/1.x status line in `data`, in order (several responses on one connection). */
export function statusLines(data: Buffer): number[] {
  return [...data.toString('latin1').matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
}
