import type { HostMatcher } from '../tls/aws-hosts.js';
import type { ClientHelloPeek } from '../tls/client-hello.js';
import { ClientHelloError } from '../tls/errors.js';
import type { HostPort } from './connect-authority.js';

/** What the interceptor does with a connection once it has seen its first bytes. */
export type InterceptRoute =
  /** Terminate TLS with a leaf for `servername`; requests go to the HTTP server, bound for `host:port`. */
  | { readonly action: 'terminate'; readonly host: string; readonly port: number; readonly servername: string; readonly sni?: string }
  /** Plain HTTP to an intercepted host: the HTTP server reads it as is. */
  | { readonly action: 'plain-http'; readonly host: string; readonly port: number }
  /** Splice bytes to `host:port` untouched. */
  | { readonly action: 'tunnel'; readonly host: string; readonly port: number }
  /** Close the connection. `reason` is a stable token for logs and metrics. */
  | { readonly action: 'refuse'; readonly reason: RefuseReason };

/** Why a connection is closed without being served or tunnelled. */
export type RefuseReason =
  /** The client went away (or failed) before a decision could be made. */
  | 'client-gone'
  /** The destination is an intercepted host but the SNI names another one: domain fronting. */
  | 'sni-mismatch'
  /** A ClientHello for an intercepted host could not be read (malformed, oversized, too slow). */
  | 'unreadable-client-hello'
  /** Nothing says where the connection should go (transparent mode without original destination or SNI). */
  | 'no-destination';

/** Inputs of {@link decideRoute}. */
export interface RouteInput {
  /** The CONNECT authority, or the original destination in transparent mode. */
  readonly destination: HostPort | undefined;
  /** The ClientHello peek, or how it failed. */
  readonly peek: ClientHelloPeek | ClientHelloError;
  readonly isInterceptedHost: HostMatcher;
}

/** Port assumed for a TLS destination known only by its SNI (transparent mode redirects 443). */
const DEFAULT_TLS_PORT = 443;

/**
 * The interception policy, shared by CONNECT and transparent mode.
 *
 * - TLS whose SNI is an intercepted host → terminate, whatever the CONNECT
 *   host: the bytes are meant for AWS, so they must pass the gateway.
 * - TLS without SNI → terminate when the destination is an intercepted host
 *   (the leaf is minted for that name), else tunnel.
 * - TLS with a non-intercepted SNI to an intercepted destination → refuse:
 *   tunnelling it would let a client reach AWS past the gateway by sending a
 *   decoy SNI (domain fronting). No legitimate client does this.
 * - Not TLS → served as plain HTTP when the destination is intercepted (so it
 *   cannot bypass policy either), else tunnelled.
 * - An unreadable ClientHello (malformed, oversized, timed out) is tunnelled to
 *   a non-intercepted destination — a transparent proxy need not police other
 *   TLS, and server-speaks-first protocols look like a silent client — and
 *   refused otherwise.
 */
export function decideRoute({ destination, peek, isInterceptedHost }: RouteInput): InterceptRoute {
  const destinationIntercepted = destination !== undefined && isInterceptedHost(destination.host);

  if (peek instanceof ClientHelloError) {
    if (peek.code === 'CLIENT_HELLO_CLOSED' || peek.code === 'CLIENT_HELLO_SOCKET_ERROR') {
      return { action: 'refuse', reason: 'client-gone' };
    }
    if (destination === undefined) return { action: 'refuse', reason: 'no-destination' };
    if (destinationIntercepted) return { action: 'refuse', reason: 'unreadable-client-hello' };
    return { action: 'tunnel', host: destination.host, port: destination.port };
  }

  if (!peek.isTls) {
    if (destination === undefined) return { action: 'refuse', reason: 'no-destination' };
    if (destinationIntercepted) return { action: 'plain-http', host: destination.host, port: destination.port };
    return { action: 'tunnel', host: destination.host, port: destination.port };
  }

  const sni = peek.serverName;
  if (sni !== undefined) {
    if (isInterceptedHost(sni)) {
      return { action: 'terminate', host: sni, port: destination?.port ?? DEFAULT_TLS_PORT, servername: sni, sni };
    }
    if (destinationIntercepted) return { action: 'refuse', reason: 'sni-mismatch' };
    // Transparent mode without SO_ORIGINAL_DST: the SNI is the only address left.
    return destination === undefined
      ? { action: 'tunnel', host: sni, port: DEFAULT_TLS_PORT }
      : { action: 'tunnel', host: destination.host, port: destination.port };
  }

  if (destination === undefined) return { action: 'refuse', reason: 'no-destination' };
  if (destinationIntercepted) {
    return { action: 'terminate', host: destination.host, port: destination.port, servername: destination.host };
  }
  return { action: 'tunnel', host: destination.host, port: destination.port };
}
