import net from 'node:net';
import type { Duplex } from 'node:stream';
import { UpstreamConnectError } from '../tls/errors.js';

/**
 * Opens the upstream TCP connection of a plain tunnel. Resolves once
 * connected; rejects with {@link UpstreamConnectError} on failure or when
 * `timeoutMs` passes first, leaving no socket behind either way.
 *
 * The socket is half-open capable (`allowHalfOpen`), so a FIN from one side
 * of the tunnel can be passed on while the other keeps sending (RFC 9293
 * §3.6: half-closed connections are legal TCP, and some protocols rely on them).
 */
export function connectUpstream(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new UpstreamConnectError('UPSTREAM_CONNECT_TIMEOUT', host, port, `connect to ${host}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new UpstreamConnectError('UPSTREAM_CONNECT_FAILED', host, port, `connect to ${host}:${port} failed: ${err.message}`, { cause: err }));
    };
    socket.once('error', onError);
  });
}

/**
 * Splices `client` and `upstream` both ways after sending `head` (bytes
 * already read from the client) upstream. Back-pressure follows `pipe`; a FIN
 * in either direction is forwarded (half-close), an error or reset on either
 * side destroys both. Resolves when both sockets are closed; never rejects.
 */
export function spliceSockets(client: Duplex, upstream: Duplex, head: Buffer): Promise<void> {
  // A FIN from the client must not end our write side before the upstream's
  // answer is through (net.Server sockets default to allowHalfOpen false).
  client.allowHalfOpen = true;
  return new Promise((resolve) => {
    let open = 2;
    const teardown = (): void => {
      client.destroy();
      upstream.destroy();
    };
    const closed = (): void => {
      teardown();
      if (--open === 0) resolve();
    };
    client.on('error', teardown);
    upstream.on('error', teardown);
    for (const socket of [client, upstream]) {
      // Either side may already be gone (the client gave up during the peek).
      if (socket.closed) closed();
      else socket.once('close', closed);
    }
    if (open < 2) return;
    if (head.length > 0) upstream.write(head);
    client.pipe(upstream);
    upstream.pipe(client);
  });
}
