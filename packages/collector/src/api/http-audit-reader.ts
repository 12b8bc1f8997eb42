import { readFile } from 'node:fs/promises';
import { ConfigError } from '@agentrail/core';
import { AuditApiError } from '../errors.js';
import type { AuditReader, SearchQuery, SearchResult, SessionQuery, SessionSummary, SessionTree } from '../store/audit-store.js';
import { searchParamsOf, sessionParamsOf } from './query-params.js';

/** Settings of {@link HttpAuditReader}. */
export interface HttpAuditReaderOptions {
  /** The collector's API base URL (`https://collector.example.com`); a path prefix behind a proxy is kept. */
  url: string;
  /** Bearer token, or a function that supplies one per request (so a refreshed token file is picked up). */
  token?: string | (() => string | Promise<string>);
  /** Per request, in ms (default 30,000: a 10,000-event page can take a while). */
  timeoutMs?: number;
}

/**
 * The audit store, read over the collector's HTTP API — what
 * `agentrail search --server URL --token-file F` uses in place of a local
 * store. Writes the same query strings the server parses (query-params.ts),
 * and turns every failure into an `AuditApiError` whose message says what to
 * do (`API_UNAUTHENTICATED`: check the token file; `API_FORBIDDEN`: the group
 * membership; `API_UNREACHABLE`: the URL).
 *
 * @example
 * const reader = HttpAuditReader.withTokenFile('https://collector.example.com', '~/.agentrail/token');
 * const { events } = await reader.search({ namespace: 'agents', since: new Date(Date.now() - 3_600_000) });
 */
export class HttpAuditReader implements AuditReader {
  private readonly base: URL;
  private readonly token: HttpAuditReaderOptions['token'];
  private readonly timeoutMs: number;

  /** @throws ConfigError when `url` is not an http(s) URL. */
  constructor(opts: HttpAuditReaderOptions) {
    let base: URL | undefined;
    try {
      base = new URL(opts.url);
    } catch {
      base = undefined;
    }
    if (base === undefined || (base.protocol !== 'https:' && base.protocol !== 'http:') || base.search !== '' || base.hash !== '' || base.username !== '' || base.password !== '') {
      // Credentials go in the token, not the URL, where they would end up in messages and logs.
      throw new ConfigError([{ path: 'server', message: 'must be an http(s) URL without credentials, query or fragment' }]);
    }
    // Relative resolution drops the last path segment unless the base ends in '/'.
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.base = base;
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /**
   * A reader whose token is read from `file` before every request (so a
   * refreshed token is picked up); surrounding whitespace is dropped.
   */
  static withTokenFile(url: string, file: string, opts: { timeoutMs?: number } = {}): HttpAuditReader {
    const token = async (): Promise<string> => {
      try {
        return (await readFile(file, 'utf8')).trim();
      } catch (err) {
        const why = (err as NodeJS.ErrnoException).code ?? String(err);
        throw new AuditApiError('API_UNAUTHENTICATED', 0, `cannot read the token file ${file} (${why})`, { cause: err });
      }
    };
    return new HttpAuditReader({ ...opts, url, token });
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const body = await this.get('v1/events', searchParamsOf(query));
    if (!isObject(body) || !Array.isArray(body.events)) throw this.badResponse('the events response has no events list');
    const result: SearchResult = { events: body.events as SearchResult['events'] };
    if (typeof body.nextCursor === 'string') result.nextCursor = body.nextCursor;
    return result;
  }

  async sessions(query: SessionQuery): Promise<SessionSummary[]> {
    const body = await this.get('v1/sessions', sessionParamsOf(query));
    if (!isObject(body) || !Array.isArray(body.sessions)) throw this.badResponse('the sessions response has no sessions list');
    return body.sessions as SessionSummary[];
  }

  async session(id: string): Promise<SessionSummary | undefined> {
    const body = await this.getSession(`v1/sessions/${encodeURIComponent(id)}`);
    if (body !== undefined && (!isObject(body) || typeof body.id !== 'string')) throw this.badResponse('the session response is not a session');
    return body as SessionSummary | undefined;
  }

  async tree(id: string): Promise<SessionTree | undefined> {
    const body = await this.getSession(`v1/sessions/${encodeURIComponent(id)}/tree`);
    if (body !== undefined && (!isObject(body) || !isObject(body.session) || !Array.isArray(body.events))) throw this.badResponse('the tree response is not a session tree');
    return body as SessionTree | undefined;
  }

  /** A session lookup, where "no such session" is an answer (undefined), not an error. */
  private async getSession(path: string): Promise<unknown> {
    try {
      return await this.get(path, new URLSearchParams());
    } catch (err) {
      if (err instanceof AuditApiError && err.code === 'API_SESSION_NOT_FOUND') return undefined;
      throw err;
    }
  }

  private async get(path: string, params: URLSearchParams): Promise<unknown> {
    const url = new URL(path, this.base);
    url.search = params.toString();
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = typeof this.token === 'function' ? await this.token() : this.token;
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      // No automatic redirects: following one would hand the bearer token to wherever it points.
      res = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const why = (err as { name?: unknown }).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : describe(err);
      throw new AuditApiError('API_UNREACHABLE', 0, `cannot reach the collector at ${this.origin()}: ${why}`, { cause: err });
    }
    const text = await res.text();
    if (res.status >= 300 && res.status < 400) {
      throw this.badResponse(`it redirects (HTTP ${res.status}) to ${res.headers.get('location') ?? 'nowhere'}; use the final URL as the server`, res.status);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (res.status === 200) {
      if (body === undefined) throw this.badResponse('the answer is not JSON', res.status);
      return body;
    }
    throw this.failure(res.status, body);
  }

  /** The server's error, with a hint for what the user can do about it. */
  private failure(status: number, body: unknown): AuditApiError {
    const err = isObject(body) && isObject(body.error) ? body.error : undefined;
    const code = err !== undefined && AuditApiError.isCode(err.code) ? err.code : undefined;
    const message = err !== undefined && typeof err.message === 'string' ? err.message : `HTTP ${status}`;
    switch (code ?? fallbackCode(status)) {
      case 'API_UNAUTHENTICATED':
        return new AuditApiError('API_UNAUTHENTICATED', status, `the collector did not accept the token (${message}); check the token file and that the token has not expired`);
      case 'API_FORBIDDEN':
        return new AuditApiError('API_FORBIDDEN', status, `the token is valid but may not read the audit trail (${message}); ask to be added to an allowed group`);
      case 'API_AUTH_UNAVAILABLE':
        return new AuditApiError('API_AUTH_UNAVAILABLE', status, `the collector cannot check tokens right now (${message}); try again later`);
      case 'API_NOT_FOUND':
        return new AuditApiError('API_NOT_FOUND', status, `${this.origin()} has no such endpoint (${message}); is it the collector's API URL?`);
      case undefined:
        return this.badResponse(`HTTP ${status} without an audit API error`, status);
      default:
        return new AuditApiError(code as NonNullable<typeof code>, status, message);
    }
  }

  private badResponse(why: string, status = 200): AuditApiError {
    return new AuditApiError('API_BAD_RESPONSE', status, `${this.origin()} did not answer as the audit API: ${why}`);
  }

  /** The server for messages: origin and path, never credentials a user might have put in the URL. */
  private origin(): string {
    return `${this.base.origin}${this.base.pathname}`;
  }
}

/** Codes for answers without an error body (a proxy in front of the collector, say). */
function fallbackCode(status: number): 'API_UNAUTHENTICATED' | 'API_FORBIDDEN' | undefined {
  return status === 401 ? 'API_UNAUTHENTICATED' : status === 403 ? 'API_FORBIDDEN' : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(err: unknown): string {
  // Duck-typed: fetch's errors can come from another realm (a VM context), where instanceof Error fails.
  const e = err as { message?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  if (typeof e?.message !== 'string') return String(err);
  // undici reports "fetch failed" and keeps the reason (ECONNREFUSED, ENOTFOUND …) in cause.
  const cause = e.cause?.code ?? e.cause?.message;
  return typeof cause === 'string' ? `${e.message} (${cause})` : e.message;
}
