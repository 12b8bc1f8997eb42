import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/**
 * `/healthz` (the process serves), `/readyz` (`ready()` says why not) and
 * `/metrics` (Prometheus) on the ops port.
 */
export async function startOpsServer(opts: { host: string; port: number; registry: Registry; ready: () => { ok: boolean; reason?: string } }): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const r = opts.ready();
      res.writeHead(r.ok ? 200 : 503, { 'content-type': 'text/plain' }).end(r.ok ? 'ready\n' : `not ready: ${r.reason ?? 'starting'}\n`);
    } else if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${String(err)}\n`),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve(); });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return { server, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}` };
}
