/** How a connection reached the interceptor. */
export type InterceptMode = 'connect' | 'transparent';

/** Where a request arriving on an intercepted connection was meant to go. */
export interface InterceptedTarget {
  /** The AWS host the client was talking to: its SNI, else the CONNECT host / original destination. */
  readonly host: string;
  /** Destination port (CONNECT port or original destination port; 443 when unknown). */
  readonly port: number;
  /** The SNI the client sent, if any (absent for plain HTTP and SNI-less TLS). */
  readonly servername?: string;
  readonly mode: InterceptMode;
}

// Keyed by the socket the HTTP server reads from (the TLSSocket for terminated
// TLS, the client socket for plain HTTP): entries go away with the socket.
const targets = new WeakMap<object, InterceptedTarget>();

/**
 * The destination a decrypted (or plain-HTTP) request on `socket` was meant
 * for, or `undefined` when the connection did not come through the
 * interceptor (e.g. explicit `AWS_ENDPOINT_URL` mode). Request handlers call
 * it with `req.socket`.
 *
 * @example
 * server.on('request', (req, res) => {
 *   const target = interceptedTarget(req.socket); // { host: 'sts.us-east-1.amazonaws.com', port: 443, … }
 * });
 */
export function interceptedTarget(socket: object): InterceptedTarget | undefined {
  return targets.get(socket);
}

/** Records `target` for `socket`; called by the interceptor before handing the socket on. */
export function recordInterceptedTarget(socket: object, target: InterceptedTarget): void {
  targets.set(socket, Object.freeze({ ...target }));
}
