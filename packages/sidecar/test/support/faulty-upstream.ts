/**
 * An "AWS" that fails on purpose, at the TCP level: it resets the connection
 * before or in the middle of its answer, never answers, stalls mid-body or
 * answers slowly. It checks no signature — it stands in for the network and
 * the far end misbehaving, not for AWS's verdicts (use the SigV4 upstream for
 * those). Requests are read up to their head; bodies are not expected.
 */
import net from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

/** What the upstream does with the next request. */
export type FaultMode =
  /** 200 with a small XML body, keep-alive. */
  | 'ok'
  /** Reads the head, then resets the connection without a byte of answer. */
  | 'reset-before-response'
  /** Sends the head and part of the announced body, then resets. */
  | 'reset-mid-response'
  /** Reads the head and never answers. */
  | 'silent'
  /** Sends the head and part of the body, then goes silent (connection open). */
  | 'stall-mid-body'
  /** Answers like `ok`, after `slowMs`. */
  | 'slow-ok';

/** A running faulty upstream. */
export interface FaultyUpstream {
  readonly endpoint: string;
  readonly port: number;
  /** Behaviour for requests from now on. */
  mode: FaultMode;
  /** Delay of `slow-ok` answers; default 1 s. */
  slowMs: number;
  /** Request heads received so far (request line first). */
  readonly heads: string[];
  /** Whether the connection that carried request `index` (of `heads`) is closed. */
  connectionClosed(index: number): boolean;
  stop(): Promise<void>;
}

/** The body `ok` answers with. */
export const OK_BODY = '<?xml version="1.0" encoding="UTF-8"?>\n<ok>faulty upstream</ok>';
const PARTIAL_LENGTH = 1000;

/**
 * `port` binds a given port (an endpoint that was down comes up).
 *
 * @example
 * const up = await startFaultyUpstream();
 * up.mode = 'reset-mid-response';
 * // … point a sidecar at up.endpoint and call it …
 * await up.stop();
 */
export async function startFaultyUpstream(options: { port?: number } = {}): Promise<FaultyUpstream> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const state: { mode: FaultMode; slowMs: number; heads: string[] } = { mode: 'ok', slowMs: 1000, heads: [] };
  const carriers: net.Socket[] = [];

  const answer = (socket: net.Socket, mode: FaultMode): void => {
    const ok = `HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nx-amz-request-id: FAULTY\r\nContent-Length: ${Buffer.byteLength(OK_BODY)}\r\n\r\n${OK_BODY}`;
    const partial = `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${PARTIAL_LENGTH}\r\n\r\n${'p'.repeat(100)}`;
    switch (mode) {
      case 'ok':
        socket.write(ok);
        return;
      case 'slow-ok':
        later(state.slowMs, () => {
          if (!socket.destroyed) socket.write(ok);
        });
        return;
      case 'reset-before-response':
        socket.resetAndDestroy();
        return;
      case 'reset-mid-response':
        socket.write(partial, () => later(50, () => socket.resetAndDestroy()));
        return;
      case 'stall-mid-body':
        socket.write(partial);
        return;
      case 'silent':
        return;
    }
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      let end: number;
      while ((end = buffered.indexOf('\r\n\r\n')) >= 0) {
        state.heads.push(buffered.slice(0, end));
        carriers.push(socket);
        buffered = buffered.slice(end + 4);
        answer(socket, state.mode);
      }
    });
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    get mode() {
      return state.mode;
    },
    set mode(m: FaultMode) {
      state.mode = m;
    },
    get slowMs() {
      return state.slowMs;
    },
    set slowMs(ms: number) {
      state.slowMs = ms;
    },
    heads: state.heads,
    connectionClosed: (index) => carriers[index]?.destroyed ?? false,
    stop: () => {
      stopping ??= (async () => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await closed;
      })();
      return stopping;
    },
  };
}
