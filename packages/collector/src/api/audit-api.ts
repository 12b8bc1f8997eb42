import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AgentRailError, type Logger } from '@agentrail/core';
import { AuditApiError } from '../errors.js';
import { DEFAULT_LIMIT, MAX_LIMIT, type AuditReader, type SearchQuery, type SearchResult } from '../store/audit-store.js';
import type { Authenticator, Principal } from './authenticator.js';
import { parseSearchParams, parseSessionParams } from './query-params.js';

/** Settings of {@link createAuditApiHandler}. */
export interface AuditApiOptions {
  reader: AuditReader;
  /** Every endpoint but `/healthz` and `/readyz` goes through it; there is no anonymous mode. */
  auth: Authenticator;
  logger: Logger;
  /** Largest page a caller may ask for (default and ceiling: the store's 10,000). */
  maxLimit?: number;
  /** Readiness for `/readyz` (default: always ready). */
  ready?: () => { ok: boolean; reason?: string };
  /** Clock for relative time bounds (`since=15m`); injectable for tests. */
  now?: () => Date;
}

/** Session ids are ULIDs or similar; anything far longer is not one and is not worth a store lookup. */
const MAX_SESSION_ID_LENGTH = 256;

/**
 * The collector's read-only HTTP JSON API over the audit store:
 *
 * - `GET /v1/events?initiator=&agent=&chain=&session=&descendants=&namespace=&service=&operation=&resource=&decision=&type=&since=&until=&q=&order=&limit=&cursor=` → `{ events, nextCursor? }`
 * - `GET /v1/sessions?initiator=&agent=&chain=&namespace=&since=&until=&roots=&limit=` → `{ sessions }`
 * - `GET /v1/sessions/{id}` → SessionSummary; `GET /v1/sessions/{id}/tree` → SessionTree
 * - `GET /healthz`, `GET /readyz` (no authentication; they reveal nothing)
 *
 * Errors are `{ error: { code, message } }` with the stable codes of
 * `AuditApiError`. Store failures answer 500 with a request id and keep their
 * details in the log: a message from the store could carry data the caller
 * was not shown.
 *
 * @example
 * http.createServer(createAuditApiHandler({ reader: store, auth, logger })).listen(8080);
 */
export function createAuditApiHandler(opts: AuditApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const maxLimit = Math.min(opts.maxLimit ?? MAX_LIMIT, MAX_LIMIT);
  if (!Number.isInteger(maxLimit) || maxLimit < 1) throw new RangeError(`maxLimit must be a whole number from 1 to ${MAX_LIMIT}`);
  const defaultLimit = Math.min(DEFAULT_LIMIT, maxLimit);
  const now = opts.now ?? ((): Date => new Date());
  const logger = opts.logger.child({ component: 'audit-api' });

  const route = async (path: string, params: URLSearchParams): Promise<unknown> => {
    if (path === '/v1/events') {
      const query = parseSearchParams(params, { now: now(), maxLimit });
      const result = await searchWithCursor(opts.reader, { ...query, limit: query.limit ?? defaultLimit });
      return result.nextCursor === undefined ? { events: result.events } : { events: result.events, nextCursor: result.nextCursor };
    }
    if (path === '/v1/sessions') {
      const query = parseSessionParams(params, { now: now(), maxLimit });
      return { sessions: await opts.reader.sessions({ ...query, limit: query.limit ?? defaultLimit }) };
    }
    const m = /^\/v1\/sessions\/([^/]+)(\/tree)?$/.exec(path);
    if (m === null) throw new AuditApiError('API_NOT_FOUND', 404, `no endpoint ${JSON.stringify(path.slice(0, 64))}; see /v1/events and /v1/sessions`);
    const [extra] = params.keys();
    if (extra !== undefined) throw new AuditApiError('API_UNKNOWN_PARAMETER', 400, `unknown query parameter ${JSON.stringify(extra.slice(0, 64))}: this endpoint takes none`);
    const id = sessionId(m[1] as string);
    const found = m[2] === undefined ? await opts.reader.session(id) : await opts.reader.tree(id);
    if (found === undefined) throw new AuditApiError('API_SESSION_NOT_FOUND', 404, `no session ${JSON.stringify(id.slice(0, 64))}`);
    return found;
  };

  /** Answers one request; `ctx.principal` is set as soon as the caller is known, so failures after that log who it was. */
  const handle = async (req: IncomingMessage, res: ServerResponse, requestId: string, ctx: { principal?: Principal }): Promise<void> => {
    // A GET body means nothing here; drain it so the connection can be reused.
    req.resume();
    const [path = '/', query = ''] = (req.url ?? '/').split(/\?(.*)/s, 2);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new AuditApiError('API_METHOD_NOT_ALLOWED', 405, 'the audit API is read-only: use GET or HEAD', { headers: { allow: 'GET, HEAD' } });
    }
    if (path === '/healthz') {
      send(req, res, requestId, 200, { status: 'ok' });
      return;
    }
    if (path === '/readyz') {
      const r = opts.ready?.() ?? { ok: true };
      send(req, res, requestId, r.ok ? 200 : 503, r.ok ? { status: 'ready' } : { status: 'not ready', reason: r.reason ?? 'starting' });
      return;
    }
    ctx.principal = await opts.auth.authenticate(req);
    const body = await route(path, new URLSearchParams(query));
    send(req, res, requestId, 200, body);
  };

  return (req, res) => {
    const started = performance.now();
    const requestId = randomUUID();
    const path = (req.url ?? '/').split('?')[0];
    const done = (status: number, principal?: Principal, code?: string): void => {
      const fields = { requestId, method: req.method, path, status, subject: principal?.subject, code, durationMs: Math.round(performance.now() - started) };
      if (path === '/healthz' || path === '/readyz') logger.debug('audit api request', fields);
      else logger.info('audit api request', fields);
    };
    const ctx: { principal?: Principal } = {};
    handle(req, res, requestId, ctx).then(
      () => done(res.statusCode, ctx.principal),
      (err: unknown) => {
        if (err instanceof AuditApiError) {
          if (err.status >= 500) logger.warn('audit api request failed', { requestId, code: err.code, message: err.message });
          sendError(req, res, requestId, err);
          done(err.status, ctx.principal, err.code);
          return;
        }
        logger.error('audit api request failed', { requestId, code: 'API_INTERNAL', error: (err as Error | undefined)?.stack ?? String(err) });
        sendError(req, res, requestId, new AuditApiError('API_INTERNAL', 500, `internal error; the collector log has the details under requestId ${requestId}`));
        done(500, ctx.principal, 'API_INTERNAL');
      },
    );
  };
}

/** A search whose cursor the store refused is the caller's mistake (400), not the store's failure (500). */
async function searchWithCursor(reader: AuditReader, query: SearchQuery): Promise<SearchResult> {
  try {
    return await reader.search(query);
  } catch (err) {
    if (query.cursor !== undefined && err instanceof AgentRailError && err.code === 'AUDIT_STORE_CURSOR_INVALID') {
      throw new AuditApiError('API_INVALID_PARAMETER', 400, 'cursor: not one this collector issued for these filters', { cause: err });
    }
    throw err;
  }
}

/** Decodes the `{id}` path segment. @throws AuditApiError 400 for bad percent-encoding or an overlong id */
function sessionId(segment: string): string {
  let id: string;
  try {
    id = decodeURIComponent(segment);
  } catch {
    throw new AuditApiError('API_INVALID_PARAMETER', 400, 'session id: malformed percent-encoding');
  }
  if (id.length > MAX_SESSION_ID_LENGTH) throw new AuditApiError('API_INVALID_PARAMETER', 400, `session id: longer than ${MAX_SESSION_ID_LENGTH} characters`);
  return id;
}

function sendError(req: IncomingMessage, res: ServerResponse, requestId: string, err: AuditApiError): void {
  // A failure after the headers went out (a client gone mid-body) cannot be answered any more.
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(req, res, requestId, err.status, { error: { code: err.code, message: err.message } }, err.headers);
}

function send(req: IncomingMessage, res: ServerResponse, requestId: string, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(data),
    // Audit data must not linger in shared caches or be sniffed into something executable.
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-request-id': requestId,
  });
  res.end(req.method === 'HEAD' ? undefined : data);
}
