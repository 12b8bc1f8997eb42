/**
 * A real HTTP(S) server that plays "AWS" where moto cannot: it verifies every
 * request's SigV4 signature on its own — header or presigned, every aws-chunked
 * chunk and trailer signature, payload hashes and checksums — and then behaves as
 * a tiny S3 (objects on disk) or, for any other service, echoes the call as JSON.
 *
 * It imports nothing from AgentRail's own packages, so a signing bug in the
 * product cannot hide behind the same bug here.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { AwsChunkedError } from './sigv4/aws-chunked.js';
import { parseQuery } from './sigv4/canonical.js';
import { ObjectStore } from './sigv4/object-store.js';
import type { StoredObject } from './sigv4/object-store.js';
import { checkBody, pump, receiveBody } from './sigv4/receive-body.js';
import type { ReceivedBody } from './sigv4/upstream-request.js';
import { echo, sendError } from './sigv4/responses.js';
import { respondS3, s3Location } from './sigv4/s3-handler.js';
import type { UpstreamRequest } from './sigv4/upstream-request.js';
import { UpstreamFailure, checkSignature, verifyHead } from './sigv4/verify-request.js';

export type { StoredObject } from './sigv4/object-store.js';
export type { UpstreamRequest } from './sigv4/upstream-request.js';

/** Who the upstream accepts and how it listens. */
export interface SigV4UpstreamOptions {
  accessKeyId: string;
  secretAccessKey: string;
  /** When set, every request must carry exactly this token; when not, none may. */
  sessionToken?: string;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** The server clock (epoch ms) for skew and expiry checks; defaults to `Date.now`. */
  now?: () => number;
  /** Largest accepted distance between the request date and the clock; AWS allows 15 minutes. */
  maxClockSkewMs?: number;
  /** Smallest aws-chunked chunk S3 accepts unless it is the last one; 0 disables the check. */
  minChunkBytes?: number;
}

/** A running upstream. */
export interface SigV4Upstream {
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`. */
  readonly endpoint: string;
  readonly port: number;
  /** Every request so far, in arrival order (live). */
  readonly requests: readonly UpstreamRequest[];
  /** The requests that were refused. */
  failures(): UpstreamRequest[];
  /** The object stored under a raw path-style path such as `/bucket/key` (virtual-hosted requests included). */
  object(path: string): StoredObject | undefined;
  /** Forgets the recorded requests (objects stay). */
  clearRequests(): void;
  /** Closes the server and deletes its files; safe to call twice. */
  stop(): Promise<void>;
}

function flattenHeaders(rawHeaders: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = rawHeaders[i + 1] ?? '';
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  return headers;
}

function operationOf(headers: Record<string, string>, query: Array<[string, string]>): string | undefined {
  const target = headers['x-amz-target'];
  if (target !== undefined) return target.slice(target.lastIndexOf('.') + 1);
  return query.find(([k]) => k === 'Action')?.[1] ?? query.find(([k]) => k === 'x-id')?.[1];
}

/**
 * Starts the upstream on a free loopback port.
 *
 * @example
 * const upstream = await startSigV4Upstream({ accessKeyId: 'AKIAUPSTREAM', secretAccessKey: 'secret' });
 * const s3 = new S3Client({ endpoint: upstream.endpoint, forcePathStyle: true, region: 'us-east-1',
 *   credentials: { accessKeyId: 'AKIAUPSTREAM', secretAccessKey: 'secret' } });
 * await s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'hello' }));
 * expect(upstream.failures()).toEqual([]);
 * await upstream.stop();
 */
export async function startSigV4Upstream(options: SigV4UpstreamOptions): Promise<SigV4Upstream> {
  const dir = await mkdtemp(join(tmpdir(), 'agentrail-upstream-'));
  const store = new ObjectStore(dir);
  const requests: UpstreamRequest[] = [];
  const config = {
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    sessionToken: options.sessionToken,
    now: options.now ?? Date.now,
    maxClockSkewMs: options.maxClockSkewMs ?? 15 * 60_000,
  };
  const minChunkBytes = options.minChunkBytes ?? 8192;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rec: UpstreamRequest = {
      method: req.method ?? 'GET',
      path: q < 0 ? url : url.slice(0, q),
      query: q < 0 ? '' : url.slice(q + 1),
      headers: flattenHeaders(req.rawHeaders),
      service: '',
      region: '',
      accessKeyId: '',
      authMode: 'none',
      payloadMode: '',
      bodySha256: '',
      bytes: 0,
      wireBytes: 0,
      checksums: {},
      verified: false,
      status: 0,
    };
    requests.push(rec);
    rec.operation = operationOf(rec.headers, parseQuery(rec.query));
    let bodyRead = false;
    let body: ReceivedBody | undefined;
    try {
      const head = verifyHead(req, rec.path, rec.query, config);
      rec.service = head.credential.service;
      rec.region = head.credential.region;
      rec.accessKeyId = head.credential.accessKeyId;
      rec.authMode = head.authMode;
      rec.payloadMode = head.payloadMode;
      if (head.payloadHash !== undefined) {
        // Known up front: check before the body, so chunk signatures chain from a verified seed.
        rec.canonicalRequest = head.canonical(head.payloadHash);
        checkSignature(head, head.payloadHash);
      }
      const s3 = head.credential.service === 's3';
      const keep = s3 && req.method === 'PUT' && s3Location(rec).key !== '';
      bodyRead = true;
      body = await receiveBody(req, rec, head, keep ? store.tempFile() : undefined, minChunkBytes);
      rec.bodySha256 = body.sha256;
      rec.bytes = body.bytes;
      if (head.payloadHash === undefined) {
        rec.canonicalRequest = head.canonical(body.sha256);
        checkSignature(head, body.sha256);
      }
      checkBody(req, rec, head, body);
      rec.verified = true;
      if (s3) await respondS3(store, req, res, rec, body);
      else echo(res, rec);
    } catch (err) {
      if (body?.file !== undefined && store.get(s3Location(rec).path)?.file !== body.file) await rm(body.file, { force: true });
      rec.verified = false;
      if (!bodyRead) await pump(req, () => undefined).catch(() => undefined);
      if (err instanceof UpstreamFailure || err instanceof AwsChunkedError) {
        sendError(req, res, rec, err.status, err.code, err.message);
        return;
      }
      // A bug here, a disk error or a client that went away: never a verdict on the signature.
      rec.status = 500;
      rec.reason = `upstream error: ${String(err)}`;
      if (res.headersSent || res.destroyed) res.destroy();
      else {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(rec.reason);
      }
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    // A client that went away mid-request (the sidecar aborting a forged upload)
    // makes any later answer a write to a destroyed response: that is expected.
    res.on('error', () => undefined);
    handle(req, res).catch(() => res.destroy());
  };
  const server: Server =
    options.tls === undefined ? createHttpServer(listener) : createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    port,
    requests,
    failures: () => requests.filter((r) => !r.verified),
    object: (path) => store.get(path),
    clearRequests: () => {
      requests.length = 0;
    },
    stop: () => {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
