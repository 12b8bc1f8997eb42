import { isIP } from 'node:net';

/**
 * Brings a host as it appears in a CONNECT authority, a Host header, an SNI or
 * configuration to one comparable form: lowercase, no port, no trailing dot,
 * IPv6 without brackets. Returns `undefined` for anything that is neither a
 * syntactically valid DNS name nor an IP literal, so callers can refuse it
 * instead of matching or minting for garbage.
 *
 * DNS names follow RFC 1123 §2.1 (letters, digits, hyphen; labels of 1–63
 * characters, 253 in all). Underscores are tolerated because OpenSSL-based
 * clients accept them in SNI and in dNSName matching.
 */
export function normalizeHost(input: string): string | undefined {
  let host = input.trim();
  if (host.startsWith('[')) {
    // Bracketed IPv6 literal, optionally followed by :port (RFC 3986 §3.2.2).
    const close = host.indexOf(']');
    if (close < 0) return undefined;
    const rest = host.slice(close + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    host = host.slice(1, close);
    return isIP(host) === 6 ? host.toLowerCase() : undefined;
  }
  if (isIP(host) === 6) return host.toLowerCase();
  const colon = host.lastIndexOf(':');
  if (colon >= 0) {
    if (!/^\d{1,5}$/.test(host.slice(colon + 1))) return undefined;
    host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  host = host.toLowerCase();
  if (isIP(host) === 4) return host;
  return isDnsName(host) ? host : undefined;
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

function isDnsName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  return host.split('.').every((label) => LABEL.test(label));
}
