/**
 * Sends a request exactly as written — path, headers (Host included) and body
 * bytes, optionally in pieces — for wire-level tests that an SDK would "fix".
 */
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** A request to send verbatim. */
export interface RawRequest {
  method: string;
  /** Sent as is: no normalisation, no encoding. */
  path: string;
  /** Sent as given; a `host` entry replaces the default Host header. */
  headers: Record<string, string>;
  /** The body, or the pieces it is written in (each a separate write). */
  body?: Buffer | readonly Buffer[];
  /** CA certificate to trust for an https endpoint. */
  ca?: string;
}

/** What came back. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * @example
 * const res = await sendRaw(upstream.endpoint, { method: 'PUT', path: '/bucket/key',
 *   headers: { host: 's3.amazonaws.com', 'content-length': '5', ... }, body: [Buffer.from('he'), Buffer.from('llo')] });
 */
export function sendRaw(endpoint: string, req: RawRequest): Promise<RawResponse> {
  const url = new URL(endpoint);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = send(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        headers: req.headers,
        ca: req.ca,
        agent: false,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => parts.push(chunk));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
        res.once('error', reject);
      },
    );
    // Every write after the peer has gone fails again: one listener for all of them.
    outgoing.on('error', reject);
    const pieces = req.body === undefined ? [] : Buffer.isBuffer(req.body) ? [req.body] : req.body;
    for (const piece of pieces) outgoing.write(piece);
    outgoing.end();
  });
}
