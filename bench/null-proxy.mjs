// Control for the benchmark: the cheapest possible Node forwarder with the
// sidecar's I/O shape — node:http server, undici keep-alive pool to the
// upstream, request and response streamed — and no security work at all (no
// SigV4 verification, no operation extraction, no re-signing). Headers pass
// through untouched, Host included, so the caller's signature (made with the
// upstream's keys for this proxy's host) still verifies at the upstream.
// Measured next to the sidecar, it separates the cost of one Node HTTP hop on
// this machine from the cost of AgentRail's own work.
// Usage: node bench/null-proxy.mjs http://127.0.0.1:UPSTREAM_PORT — prints {"port": N}.

import http from 'node:http';
import { Agent } from 'undici';

const origin = process.argv[2];
const dispatcher = new Agent({ connections: 128, keepAliveTimeout: 30_000 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-connection', 'expect']);

const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  const headers = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (!HOP.has(name)) headers[name] = raw[i + 1];
  }
  const hasBody = req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0';
  dispatcher.request({ origin, path: req.url, method: req.method, headers, body: hasBody ? req : null }).then((up) => {
    const out = {};
    for (const [k, v] of Object.entries(up.headers)) if (!HOP.has(k)) out[k] = v;
    res.writeHead(up.statusCode, out);
    up.body.on('error', () => res.destroy());
    up.body.pipe(res);
  }, () => {
    if (!res.headersSent) res.writeHead(502, { 'content-length': 0 });
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
