import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SidecarMetrics } from './sidecar-metrics.js';

/**
 * `/healthz` (the process serves), `/readyz` (it can take calls: listening,
 * upstream credentials loaded, not draining) and `/metrics` (Prometheus).
 */
export function createOpsHandler(metrics: SidecarMetrics, ready: () => { ok: boolean; reason?: string }) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const r = ready();
      res.writeHead(r.ok ? 200 : 503, { 'content-type': 'text/plain' }).end(r.ok ? 'ready\n' : `not ready: ${r.reason ?? 'starting'}\n`);
    } else if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${String(err)}\n`),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  };
}
