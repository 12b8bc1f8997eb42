/**
 * An HTTPS admission webhook server for e2e tests: the apiserver reaches it at
 * `clientConfig.url` on loopback, trusting it through `caBundle`. It records every
 * AdmissionReview it receives and answers with what the test's handler decides.
 *
 * @example
 * const hook = await startAdmissionServer(cluster, (req) => ({ allowed: true, patch: [...] }));
 * // webhooks: [{ clientConfig: { url: hook.url('/mutate'), caBundle: hook.caBundle }, ... }]
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually, type Cluster } from './cluster.js';

/** The `request` of an admission.k8s.io/v1 AdmissionReview (the fields tests read). */
export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  namespace?: string;
  name?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  userInfo: { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  object?: { metadata?: { name?: string; generateName?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: unknown };
  dryRun?: boolean;
}

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'test' | 'move' | 'copy';
  path: string;
  value?: unknown;
}

/** What a handler decides; `uid` and the envelope are filled in. */
export interface AdmissionDecision {
  allowed: boolean;
  patch?: JsonPatchOp[];
  status?: { code?: number; message?: string };
}

export type AdmissionHandler = (req: AdmissionRequest) => AdmissionDecision;

export interface AdmissionServer {
  /** `https://127.0.0.1:<port><path>` */
  url(path: string): string;
  /** Base64 PEM of the CA that signed the server certificate. */
  caBundle: string;
  /** Every request received, in order. */
  requests: AdmissionRequest[];
  /**
   * Repeats `probe` (say, a dry-run create) until this server has been called:
   * the apiserver picks up a new webhook configuration asynchronously, so the
   * first requests after creating one may not reach it yet.
   */
  waitUntilCalled(probe: () => Promise<unknown>, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startAdmissionServer(cluster: Cluster, handler: AdmissionHandler): Promise<AdmissionServer> {
  const cert = cluster.issueServingCert('webhook', ['127.0.0.1', 'localhost']);
  const requests: AdmissionRequest[] = [];
  const server: Server = createServer({ cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let uid = '';
      try {
        const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: AdmissionRequest };
        uid = review.request.uid;
        requests.push(review.request);
        const decision = handler(review.request);
        const response: Record<string, unknown> = { uid, allowed: decision.allowed };
        if (decision.status) response.status = decision.status;
        if (decision.patch) {
          response.patchType = 'JSONPatch';
          response.patch = Buffer.from(JSON.stringify(decision.patch)).toString('base64');
        }
        send(res, 200, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response });
      } catch (err) {
        send(res, 500, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: false, status: { code: 500, message: String(err) } } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `https://127.0.0.1:${port}${path}`,
    caBundle: cert.caBundle,
    requests,
    waitUntilCalled: async (probe, timeoutMs = 20_000) => {
      const before = requests.length;
      await eventually('the apiserver to call the webhook', async () => {
        await probe().catch(() => undefined);
        return requests.length > before;
      }, timeoutMs);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
