import { normalizeHost } from '../tls/hostname.js';

/** A host (normal form: lowercase, IPv6 without brackets) and a TCP port. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses the request-target of a CONNECT request, which must be in
 * authority-form `host:port` (RFC 9110 §9.3.6; RFC 9112 §3.2.3): a DNS name,
 * IPv4 address or bracketed IPv6 address, and an explicit port 1–65535.
 * Userinfo, paths, missing or zero ports and anything that is not a valid host
 * yield `undefined`, which the proxy answers with 400.
 *
 * @example
 * parseConnectAuthority('sts.us-east-1.amazonaws.com:443'); // { host: 'sts.us-east-1.amazonaws.com', port: 443 }
 * parseConnectAuthority('[::1]:8443');                      // { host: '::1', port: 8443 }
 */
export function parseConnectAuthority(authority: string | undefined): HostPort | undefined {
  if (authority === undefined) return undefined;
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:/?#@[\]]+):(\d{1,5})$/.exec(authority);
  if (match === null) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65_535) return undefined;
  const host = normalizeHost(match[1]!);
  return host === undefined ? undefined : { host, port };
}
