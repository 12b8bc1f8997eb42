/**
 * A small Kubernetes REST client for the harness and the e2e tests: plain HTTPS
 * with the run's CA and either a client certificate (admin) or a bearer token
 * (OIDC users, service accounts). Objects go over the wire as the apiserver sees
 * them, which is what these tests want to observe.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

export interface KubeCredentials {
  server: string;
  caFile: string;
  certFile?: string;
  keyFile?: string;
  token?: string;
}

/** A Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/** A non-2xx answer; `message` is the apiserver's own (from its Status object). */
export class KubeApiError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(method: string, path: string, status: number, body: unknown) {
    const message = (body as { message?: string } | undefined)?.message ?? JSON.stringify(body);
    super(`${method} ${path}: ${status} ${message}`);
    this.name = 'KubeApiError';
    this.status = status;
    this.body = body;
  }
}

export interface RequestOptions {
  contentType?: string;
  /** Answer with the status instead of throwing on non-2xx. */
  allowError?: boolean;
}

export class KubeClient {
  readonly server: string;
  private readonly agent: Agent;
  private readonly token: string | undefined;
  private readonly plurals = new Map<string, { plural: string; namespaced: boolean }>();

  constructor(creds: KubeCredentials) {
    this.server = creds.server;
    this.token = creds.token;
    this.agent = new Agent({
      keepAlive: true,
      ca: readFileSync(creds.caFile),
      ...(creds.certFile && creds.keyFile ? { cert: readFileSync(creds.certFile), key: readFileSync(creds.keyFile) } : {}),
    });
  }

  /** One HTTP request; JSON in and out. */
  async request<T = unknown>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<{ status: number; body: T }> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(new URL(path, this.server), { method, agent: this.agent, headers }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        r.on('error', reject);
      });
      req.on('error', reject);
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.end(payload);
    });
    let parsed: unknown = res.text;
    try {
      parsed = res.text ? JSON.parse(res.text) : undefined;
    } catch {
      // not JSON (e.g. /readyz): keep the text
    }
    if ((res.status < 200 || res.status > 299) && !opts.allowError) {
      throw new KubeApiError(method, path, res.status, parsed);
    }
    return { status: res.status, body: parsed as T };
  }

  async get<T = KubeObject>(path: string): Promise<T> {
    return (await this.request<T>('GET', path)).body;
  }

  /** POSTs an object to the collection its apiVersion/kind/namespace name. */
  async create<T extends KubeObject = KubeObject>(obj: KubeObject, opts: { dryRun?: boolean } = {}): Promise<T> {
    const path = (await this.collectionPath(obj)) + (opts.dryRun ? '?dryRun=All' : '');
    return (await this.request<T>('POST', path, obj)).body;
  }

  /** Server-side apply (idempotent create-or-update), as `kubectl apply --server-side` does. */
  async apply<T extends KubeObject = KubeObject>(obj: KubeObject, fieldManager = 'agentrail-e2e'): Promise<T> {
    const path = `${await this.collectionPath(obj)}/${obj.metadata.name}?fieldManager=${fieldManager}&force=true`;
    return (await this.request<T>('PATCH', path, obj, { contentType: 'application/apply-patch+yaml' })).body;
  }

  async delete(obj: KubeObject): Promise<void> {
    await this.request('DELETE', `${await this.collectionPath(obj)}/${obj.metadata.name}`, undefined, { allowError: true });
  }

  /** The REST path of an object's collection, resolving the plural by discovery. */
  async collectionPath(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): Promise<string> {
    const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
    const key = `${obj.apiVersion}/${obj.kind}`;
    let info = this.plurals.get(key);
    if (!info) {
      const list = await this.get<{ resources: { name: string; kind: string; namespaced: boolean }[] }>(base);
      const found = list.resources.find((r) => r.kind === obj.kind && !r.name.includes('/'));
      if (!found) throw new Error(`${obj.kind} is not served at ${base}`);
      info = { plural: found.name, namespaced: found.namespaced };
      this.plurals.set(key, info);
    }
    const ns = info.namespaced ? `/namespaces/${obj.metadata.namespace ?? 'default'}` : '';
    return `${base}${ns}/${info.plural}`;
  }

  close(): void {
    this.agent.destroy();
  }
}
