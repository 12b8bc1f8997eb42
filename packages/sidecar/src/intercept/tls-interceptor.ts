import type http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { HostMatcher } from '../tls/aws-hosts.js';
import type { CertificateAuthority } from '../tls/certificate-authority.js';
import { peekClientHello, type ClientHelloPeek } from '../tls/client-hello.js';
import { ClientHelloError, UpstreamConnectError } from '../tls/errors.js';
import { parseConnectAuthority, type HostPort } from './connect-authority.js';
import { recordInterceptedTarget, type InterceptMode } from './intercepted-target.js';
import { decideRoute, type InterceptRoute } from './route.js';
import { connectUpstream, spliceSockets } from './tcp-tunnel.js';

/** Counted outcomes, one per connection (label values of a metrics counter). */
export type InterceptOutcome =
  | 'bad_request' // malformed CONNECT authority, answered 400
  | 'tunnel_opened'
  | 'tunnel_failed' // upstream unreachable (CONNECT: answered 502/504)
  | 'terminated' // TLS handshake with our leaf completed, socket handed to the HTTP server
  | 'handshake_failed' // client rejected our leaf, went away mid-handshake, or a leaf could not be minted
  | 'plain_http' // plain HTTP to an intercepted host, handed to the HTTP server
  | 'refused'; // closed by policy or because the client left before a decision

/** The logging surface used; a winston `Logger` fits. */
export interface InterceptLogger {
  debug(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

/** Passed to `onTunnel` when a plain tunnel is established. */
export interface TunnelInfo {
  readonly mode: InterceptMode;
  readonly host: string;
  readonly port: number;
  readonly servername?: string;
}

/** Passed to `onTerminate` when a client completed a TLS handshake with our leaf. */
export interface TerminateInfo {
  readonly mode: InterceptMode;
  readonly host: string;
  readonly port: number;
  readonly servername: string;
  readonly socket: tls.TLSSocket;
}

/** Construction options of {@link TlsInterceptor}. */
export interface TlsInterceptorOptions {
  readonly ca: Pick<CertificateAuthority, 'secureContextFor'>;
  readonly isInterceptedHost: HostMatcher;
  /** Receives decrypted (and plain-HTTP) connections through its `'connection'` event. */
  readonly httpServer: http.Server;
  /** Upstream TCP connect timeout for tunnels. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Time allowed for the client's ClientHello after the tunnel is up. Default 10 s. */
  readonly clientHelloTimeoutMs?: number;
  /** Time allowed for our TLS handshake to complete. Default 10 s. */
  readonly handshakeTimeoutMs?: number;
  /** Largest ClientHello read. Default 64 KiB. */
  readonly maxClientHelloBytes?: number;
  readonly logger?: InterceptLogger;
  readonly onTunnel?: (info: TunnelInfo) => void;
  readonly onTerminate?: (info: TerminateInfo) => void;
  /** Called once per connection with its outcome, for metrics. */
  readonly onOutcome?: (outcome: InterceptOutcome, mode: InterceptMode) => void;
}

const CONNECT_ESTABLISHED = 'HTTP/1.1 200 Connection Established\r\n\r\n';

/**
 * Decides, per intercepted connection, between terminating TLS (AWS hosts:
 * the sidecar presents a leaf from its CA and its HTTP server handles the
 * decrypted requests) and splicing bytes through untouched (everything else).
 * The same logic serves explicit proxy mode (`HTTPS_PROXY`, via
 * {@link TlsInterceptor.handleConnect}) and transparent mode (iptables
 * REDIRECT, via {@link TlsInterceptor.handleTransparent}); the policy itself is
 * {@link decideRoute}.
 *
 * Every socket it touches gets an `'error'` listener first, so a client or
 * upstream reset never surfaces as an unhandled error.
 *
 * @example
 * const interceptor = new TlsInterceptor({ ca, isInterceptedHost: createAwsHostMatcher([]), httpServer: server });
 * server.on('connect', (req, socket, head) => interceptor.handleConnect(req, socket, head));
 * // in the request handler: interceptedTarget(req.socket) → { host, port, servername, mode }
 */
export class TlsInterceptor {
  readonly #options: TlsInterceptorOptions;
  readonly #connectTimeoutMs: number;

  constructor(options: TlsInterceptorOptions) {
    this.#options = options;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  }

  /**
   * Handler for `http.Server`'s `'connect'` event. Answers 400 to a malformed
   * authority. For a destination that is not intercepted it connects upstream
   * first, so an unreachable destination is answered 502 (504 on timeout) as
   * from any proxy; then it answers 200 and routes on the ClientHello.
   */
  handleConnect(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#guard(socket, 'connect');
    this.#connect(req, socket, head).catch((err: unknown) => this.#internalError(socket, 'connect', err));
  }

  /**
   * Entry point for transparent mode: `socket` was redirected to the sidecar,
   * `originalDestination` is what the client dialled (SO_ORIGINAL_DST), if
   * known. Without it the SNI is the only destination: SNI-less or non-TLS
   * connections are then refused.
   */
  handleTransparent(socket: Duplex, originalDestination?: HostPort): void {
    this.#guard(socket, 'transparent');
    this.#route(socket, originalDestination, 'transparent', undefined).catch((err: unknown) =>
      this.#internalError(socket, 'transparent', err),
    );
  }

  async #connect(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const destination = parseConnectAuthority(req.url);
    if (destination === undefined) {
      this.#log('debug', 'rejected CONNECT with malformed authority', { mode: 'connect', authority: req.url });
      this.#count('bad_request', 'connect');
      socket.end(statusResponse(400, 'Bad Request', 'CONNECT needs an authority of the form host:port\n'));
      return;
    }
    // Bytes the client sent right after the CONNECT head (before our 200) belong to the tunnel.
    if (head.length > 0) socket.unshift(head);

    let upstream: net.Socket | undefined;
    if (!this.#options.isInterceptedHost(destination.host)) {
      try {
        upstream = await connectUpstream(destination.host, destination.port, this.#connectTimeoutMs);
      } catch (err) {
        const timeout = err instanceof UpstreamConnectError && err.code === 'UPSTREAM_CONNECT_TIMEOUT';
        this.#log('debug', 'CONNECT upstream unreachable', { mode: 'connect', ...destination, error: String(err) });
        this.#count('tunnel_failed', 'connect');
        socket.end(timeout ? statusResponse(504, 'Gateway Timeout', '') : statusResponse(502, 'Bad Gateway', ''));
        return;
      }
      if (socket.destroyed) {
        upstream.destroy();
        this.#count('refused', 'connect');
        return;
      }
      this.#guard(upstream, 'connect');
    }
    socket.write(CONNECT_ESTABLISHED);
    await this.#route(socket, destination, 'connect', upstream);
  }

  async #route(socket: Duplex, destination: HostPort | undefined, mode: InterceptMode, upstream: net.Socket | undefined): Promise<void> {
    const peek = await this.#peek(socket, upstream);
    const route = decideRoute({ destination, peek, isInterceptedHost: this.#options.isInterceptedHost });
    const head = peek instanceof ClientHelloError ? peek.received : peek.head;
    const servername = peek instanceof ClientHelloError ? undefined : peek.serverName;
    if (route.action !== 'tunnel' || upstream === undefined || route.host !== destination?.host) {
      upstream?.destroy();
      upstream = undefined;
    }
    switch (route.action) {
      case 'tunnel':
        return this.#tunnel(socket, route, head, mode, upstream, servername);
      case 'terminate':
        socket.unshift(head);
        return this.#terminate(socket, route, mode);
      case 'plain-http':
        socket.unshift(head);
        recordInterceptedTarget(socket, { host: route.host, port: route.port, mode });
        this.#count('plain_http', mode);
        this.#options.httpServer.emit('connection', socket);
        // The HTTP server only adds a 'data' listener; the peek left the socket paused.
        socket.resume();
        return undefined;
      case 'refuse': {
        const meta = { mode, ...destination, servername, reason: route.reason, code: peek instanceof ClientHelloError ? peek.code : undefined };
        // Domain fronting is a policy event worth a warning; the rest is client noise.
        this.#log(route.reason === 'sni-mismatch' ? 'warn' : 'debug', 'connection refused', meta);
        this.#count('refused', mode);
        socket.destroy();
        return undefined;
      }
    }
  }

  /** Peeks the ClientHello; an upstream that speaks first (or closes) ends the wait. */
  async #peek(socket: Duplex, upstream: net.Socket | undefined): Promise<ClientHelloPeek | ClientHelloError> {
    const abort = new AbortController();
    const serverSpoke = (): void => abort.abort();
    upstream?.once('readable', serverSpoke).once('close', serverSpoke);
    try {
      return await peekClientHello(socket, {
        timeoutMs: this.#options.clientHelloTimeoutMs ?? 10_000,
        maxBytes: this.#options.maxClientHelloBytes ?? 64 * 1024,
        signal: abort.signal,
      });
    } catch (err) {
      if (err instanceof ClientHelloError) return err;
      throw err;
    } finally {
      upstream?.off('readable', serverSpoke).off('close', serverSpoke);
    }
  }

  async #tunnel(
    socket: Duplex,
    route: Extract<InterceptRoute, { action: 'tunnel' }>,
    head: Buffer,
    mode: InterceptMode,
    upstream: net.Socket | undefined,
    servername: string | undefined,
  ): Promise<void> {
    if (upstream === undefined) {
      try {
        upstream = await connectUpstream(route.host, route.port, this.#connectTimeoutMs);
      } catch (err) {
        this.#log('debug', 'tunnel upstream unreachable', { mode, host: route.host, port: route.port, error: String(err) });
        this.#count('tunnel_failed', mode);
        socket.destroy();
        return;
      }
      this.#guard(upstream, mode);
    }
    this.#count('tunnel_opened', mode);
    this.#options.onTunnel?.({ mode, host: route.host, port: route.port, ...(servername === undefined ? {} : { servername }) });
    await spliceSockets(socket, upstream, head);
  }

  async #terminate(socket: Duplex, route: Extract<InterceptRoute, { action: 'terminate' }>, mode: InterceptMode): Promise<void> {
    const { ca } = this.#options;
    let secureContext: tls.SecureContext;
    try {
      // Minted before the handshake: a client without SNI never triggers SNICallback.
      secureContext = await ca.secureContextFor(route.servername);
    } catch (err) {
      this.#log('warn', 'no leaf certificate for intercepted host', { mode, host: route.host, servername: route.servername, error: String(err) });
      this.#count('handshake_failed', mode);
      socket.destroy();
      return;
    }
    if (socket.destroyed) {
      this.#count('handshake_failed', mode);
      return;
    }
    const tlsSocket = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext,
      SNICallback: (name, callback) => {
        ca.secureContextFor(name).then((context) => callback(null, context), (err: Error) => callback(err));
      },
      // The HTTP server behind speaks HTTP/1.1 only; clients offering h2 fall back to it.
      ALPNProtocols: ['http/1.1'],
    });
    recordInterceptedTarget(tlsSocket, {
      host: route.host,
      port: route.port,
      mode,
      ...(route.sni === undefined ? {} : { servername: route.sni }),
    });
    let secure = false;
    let failed = false;
    const fail = (reason: string): void => {
      if (secure || failed) return;
      failed = true;
      clearTimeout(timer);
      this.#log('debug', 'TLS handshake failed', { mode, host: route.host, servername: route.servername, reason });
      this.#count('handshake_failed', mode);
      tlsSocket.destroy();
      socket.destroy();
    };
    const timer = setTimeout(() => fail('timeout'), this.#options.handshakeTimeoutMs ?? 10_000);
    tlsSocket.on('error', (err: Error) => {
      if (!secure) fail(err.message);
      else this.#log('debug', 'intercepted TLS socket error', { mode, host: route.host, error: err.message });
    });
    // The TLSSocket inherits allowHalfOpen from the CONNECT socket (true for
    // http.Server sockets), so a client's FIN alone would never close it:
    // treat end-of-stream before 'secure' as the client giving up.
    const onEnd = (): void => fail('client closed during handshake');
    tlsSocket.once('end', onEnd);
    tlsSocket.once('close', () => fail('closed during handshake'));
    tlsSocket.once('secure', () => {
      if (failed) return;
      secure = true;
      clearTimeout(timer);
      // From here on the HTTP server owns end-of-stream handling.
      tlsSocket.off('end', onEnd);
      this.#count('terminated', mode);
      this.#options.onTerminate?.({ mode, host: route.host, port: route.port, servername: route.servername, socket: tlsSocket });
      // As https.Server does on 'secureConnection': the HTTP machinery takes over.
      this.#options.httpServer.emit('connection', tlsSocket);
    });
  }

  /** Makes sure an 'error' on `socket` is never unhandled; each path also destroys what it must. */
  #guard(socket: Duplex, mode: InterceptMode): void {
    socket.on('error', (err: Error) => this.#log('debug', 'socket error', { mode, error: err.message }));
  }

  #internalError(socket: Duplex, mode: InterceptMode, err: unknown): void {
    this.#log('warn', 'interception failed', { mode, error: err instanceof Error ? err.stack : String(err) });
    this.#count('refused', mode);
    socket.destroy();
  }

  #count(outcome: InterceptOutcome, mode: InterceptMode): void {
    this.#options.onOutcome?.(outcome, mode);
  }

  #log(level: 'debug' | 'warn', message: string, meta: Record<string, unknown>): void {
    this.#options.logger?.[level](message, meta);
  }
}

/** A complete, closing HTTP/1.1 response for the raw CONNECT socket. */
function statusResponse(status: number, reason: string, body: string): string {
  return (
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}
