import type { IncomingMessage } from 'node:http';
import { parseQuery } from '@agentrail/core';

/** Headers that belong to one connection and are never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'host',
]);

/** Caller authentication, replaced by the sidecar's own signature upstream. */
const CALLER_AUTH = new Set(['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256']);

/** Query parameters of a presigned URL; they never go upstream. */
export const PRESIGN_PARAMS = new Set([
  'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires',
  'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token',
]);

/** The request line split the way SigV4 needs it: raw path and decoded query pairs. */
export interface RequestTarget {
  path: string;
  rawQuery: string;
  query: Array<[string, string]>;
  /** Host from an absolute-form request line (plain HTTP proxying), else undefined. */
  absoluteHost?: string;
}

/**
 * Splits `req.url`. Origin-form (`/path?q`) is the norm; absolute-form
 * (`http://host/path?q`) arrives when a client uses the sidecar as a plain
 * HTTP proxy.
 */
export function parseRequestTarget(url: string): RequestTarget {
  let rest = url;
  let absoluteHost: string | undefined;
  if (!url.startsWith('/')) {
    const m = /^https?:\/\/([^/?#]+)(.*)$/i.exec(url);
    if (m !== null) {
      absoluteHost = m[1] as string;
      rest = (m[2] as string) === '' ? '/' : (m[2] as string);
    }
  }
  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  const path = q === -1 ? rest : rest.slice(0, q);
  const rawQuery = q === -1 ? '' : rest.slice(q + 1);
  const target: RequestTarget = { path, rawQuery, query: parseQuery(rawQuery) };
  if (absoluteHost !== undefined) target.absoluteHost = absoluteHost;
  return target;
}

/**
 * The caller's headers to send upstream, lower-cased, repeated ones joined
 * with ',': everything but hop-by-hop headers (plus those the Connection
 * header names), empty ones and the caller's own authentication.
 */
export function forwardableHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  const connection = req.headers['connection'];
  const named = connection === undefined ? undefined : new Set(connection.toLowerCase().split(',').map((s) => s.trim()));
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (HOP_BY_HOP.has(name) || CALLER_AUTH.has(name) || named?.has(name)) continue;
    const value = raw[i + 1] as string;
    // Empty headers carry nothing, and HTTP stacks disagree on sending them: a
    // signed empty header that one hop drops breaks the upstream signature.
    if (value.trim() === '') continue;
    out[name] = out[name] === undefined ? value : `${out[name]},${value}`;
  }
  return out;
}

/** Response headers to relay to the caller (hop-by-hop ones dropped). */
export function relayableResponseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}
