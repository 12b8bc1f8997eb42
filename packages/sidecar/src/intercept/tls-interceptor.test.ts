import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { ProxyAgent, request } from 'undici';
import winston from 'winston';
import { createAwsHostMatcher } from '../tls/aws-hosts.js';
import { CertificateAuthority } from '../tls/certificate-authority.js';
import { captureClientHello } from '../tls/testing/client-hello-fixtures.js';
import type { HostPort } from './connect-authority.js';
import { interceptedTarget, type InterceptedTarget } from './intercepted-target.js';
import { TlsInterceptor, type InterceptOutcome, type TerminateInfo, type TlsInterceptorOptions, type TunnelInfo } from './tls-interceptor.js';

const STS = 'sts.us-east-1.amazonaws.com';

interface Seen {
  method: string;
  url: string;
  host: string | undefined;
  encrypted: boolean;
  alpn: string | false | null;
  target: InterceptedTarget | undefined;
  bodyBytes: number;
}

/** A sidecar-shaped HTTP server with the interceptor on its 'connect' event, on 127.0.0.1. */
class Harness {
  readonly seen: Seen[] = [];
  readonly outcomes: InterceptOutcome[] = [];
  readonly tunnels: TunnelInfo[] = [];
  readonly terminations: TerminateInfo[] = [];
  readonly server: http.Server;
  readonly interceptor: TlsInterceptor;
  /** A raw TCP listener whose connections go to handleTransparent with `transparentDestination`. */
  readonly transparent: net.Server;
  transparentDestination: HostPort | undefined;

  constructor(readonly ca: CertificateAuthority, options: Partial<TlsInterceptorOptions> = {}) {
    this.server = http.createServer((req, res) => {
      let bodyBytes = 0;
      req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
      req.on('end', () => {
        const socket = req.socket as tls.TLSSocket;
        this.seen.push({
          method: req.method!,
          url: req.url!,
          host: req.headers.host,
          encrypted: socket.encrypted === true,
          alpn: socket.alpnProtocol,
          target: interceptedTarget(req.socket),
          bodyBytes,
        });
        res.setHeader('content-type', 'text/plain');
        res.end(`sidecar saw ${req.method} ${req.headers.host}${req.url}`);
      });
    });
    this.interceptor = new TlsInterceptor({
      ca,
      isInterceptedHost: createAwsHostMatcher([]),
      httpServer: this.server,
      connectTimeoutMs: 2_000,
      logger: winston.createLogger({ silent: true }),
      onTunnel: (info) => this.tunnels.push(info),
      onTerminate: (info) => this.terminations.push(info),
      onOutcome: (outcome) => this.outcomes.push(outcome),
      ...options,
    });
    this.server.on('connect', (req: http.IncomingMessage, socket, head: Buffer) => this.interceptor.handleConnect(req, socket, head));
    this.transparent = net.createServer((socket) => this.interceptor.handleTransparent(socket, this.transparentDestination));
  }

  async start(): Promise<this> {
    await Promise.all([listen(this.server), listen(this.transparent)]);
    return this;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get transparentPort(): number {
    return (this.transparent.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await Promise.all([close(this.server), close(this.transparent)]);
  }
}

async function listen(server: net.Server): Promise<void> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function connections(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((err, count) => (err ? reject(err) : resolve(count))));
}

/** Sends a raw CONNECT and reads the proxy's answer head; the socket is then the tunnel. */
async function rawConnect(proxyPort: number, authority: string): Promise<{ socket: net.Socket; status: string; rest: Buffer }> {
  const socket = net.connect({ host: '127.0.0.1', port: proxyPort });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  let received = Buffer.alloc(0);
  for (;;) {
    const end = received.indexOf('\r\n\r\n');
    if (end >= 0) {
      socket.pause();
      const rest = received.subarray(end + 4);
      return { socket, status: received.subarray(0, received.indexOf('\r\n')).toString(), rest };
    }
    const [chunk] = (await Promise.race([once(socket, 'data'), once(socket, 'close').then(() => [Buffer.alloc(0)])])) as [Buffer];
    if (chunk.length === 0) return { socket, status: received.toString().split('\r\n')[0] ?? '', rest: Buffer.alloc(0) };
    received = Buffer.concat([received, chunk]);
  }
}

/** TLS over an established tunnel; resolves on secureConnect or rejects with the client's error. */
function tlsOver(socket: net.Socket, options: tls.ConnectionOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ socket, ...options });
    secure.once('secureConnect', () => resolve(secure));
    secure.once('error', reject);
    secure.once('close', () => reject(new Error('closed before handshake')));
  });
}

/** One HTTP/1.1 request written by hand over `socket`; returns the whole response. */
async function rawHttp(socket: net.Socket | tls.TLSSocket, host: string, pathname = '/'): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.resume();
  socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  await once(socket, 'end');
  return Buffer.concat(chunks).toString();
}

describe('TlsInterceptor', () => {
  let ca: CertificateAuthority;
  let originCa: CertificateAuthority;
  let proxy: Harness;
  /** A real HTTPS server for "localhost", with a certificate from a CA unrelated to the sidecar's. */
  let origin: https.Server;

  beforeAll(async () => {
    [ca, originCa] = await Promise.all([CertificateAuthority.create(), CertificateAuthority.create()]);
    const originContext = await originCa.secureContextFor('localhost');
    origin = https.createServer({ SNICallback: (_name, callback) => callback(null, originContext) }, (req, res) => {
      res.end(`origin saw ${req.headers.host}${req.url}`);
    });
    await listen(origin);
    proxy = await new Harness(ca).start();
  });

  afterAll(async () => {
    await proxy.stop();
    origin.closeAllConnections();
    await close(origin);
  });

  describe('AWS hosts are terminated', () => {
    it('serves https requests through an undici ProxyAgent to the sidecar HTTP server', async () => {
      const agent = new ProxyAgent({ uri: `http://127.0.0.1:${proxy.port}`, requestTls: { ca: [ca.certificatePem] } });
      try {
        for (const query of ['?Action=GetCallerIdentity', '?Action=GetSessionToken']) {
          const response = await request(`https://${STS}/${query}`, { dispatcher: agent, method: 'POST', body: 'x'.repeat(256 * 1024) });
          expect(response.statusCode).toBe(200);
          expect(await response.body.text()).toBe(`sidecar saw POST ${STS}/${query}`);
        }
        const [first, second] = proxy.seen.slice(-2);
        expect(first).toEqual({
          method: 'POST',
          url: '/?Action=GetCallerIdentity',
          host: STS,
          encrypted: true,
          alpn: 'http/1.1',
          target: { host: STS, port: 443, servername: STS, mode: 'connect' },
          bodyBytes: 256 * 1024,
        });
        expect(second!.url).toBe('/?Action=GetSessionToken');
        expect(proxy.terminations.at(-1)).toMatchObject({ mode: 'connect', host: STS, port: 443, servername: STS });
      } finally {
        await agent.close();
      }
    });

    it('handles many concurrent connections to many names', async () => {
      const names = Array.from({ length: 20 }, (_, i) => `bucket-${i}.s3.eu-west-1.amazonaws.com`);
      const bodies = await Promise.all(
        [...names, ...names].map(async (name) => {
          const { socket } = await rawConnect(proxy.port, `${name}:443`);
          const secure = await tlsOver(socket, { servername: name, ca: [ca.certificatePem] });
          return rawHttp(secure, name, '/key');
        }),
      );
      bodies.forEach((body, i) => expect(body).toContain(`sidecar saw GET ${names[i % names.length]}/key`));
    });

    it('keeps one terminated connection alive across requests', async () => {
      const before = proxy.terminations.length;
      const { socket } = await rawConnect(proxy.port, `${STS}:443`);
      const secure = await tlsOver(socket, { servername: STS, ca: [ca.certificatePem] });
      const chunks: Buffer[] = [];
      secure.on('data', (chunk: Buffer) => chunks.push(chunk));
      secure.write(`GET /one HTTP/1.1\r\nHost: ${STS}\r\n\r\n`);
      await waitFor(() => Buffer.concat(chunks).includes('/one'), 'first response');
      secure.write(`GET /two HTTP/1.1\r\nHost: ${STS}\r\nConnection: close\r\n\r\n`);
      await once(secure, 'end');
      expect(Buffer.concat(chunks).toString().match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
      expect(proxy.terminations.length - before).toBe(1);
    });

    it('presents a leaf a real client validates against the CA only', async () => {
      const { socket, status } = await rawConnect(proxy.port, `${STS}:443`);
      expect(status).toBe('HTTP/1.1 200 Connection Established');
      const secure = await tlsOver(socket, { servername: STS, ca: [ca.certificatePem], rejectUnauthorized: true });
      const leaf = secure.getPeerX509Certificate()!;
      expect(leaf.subjectAltName).toBe(`DNS:${STS}`);
      expect(leaf.checkIssued(new X509Certificate(ca.certificatePem))).toBe(true);
      expect(await rawHttp(secure, STS, '/raw')).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*sidecar saw GET sts\.us-east-1\.amazonaws\.com\/raw$/);
    });

    it('negotiates TLS 1.2 (ECDHE-ECDSA) for clients that cap there, and picks http/1.1 from h2 + http/1.1', async () => {
      const { socket } = await rawConnect(proxy.port, `${STS}:443`);
      const secure = await tlsOver(socket, { servername: STS, ca: [ca.certificatePem], maxVersion: 'TLSv1.2', ALPNProtocols: ['h2', 'http/1.1'] });
      expect(secure.getProtocol()).toBe('TLSv1.2');
      expect(secure.alpnProtocol).toBe('http/1.1');
      expect(await rawHttp(secure, STS, '/tls12')).toContain('sidecar saw GET');
    });

    it('refuses a client that offers only h2 (the sidecar HTTP server speaks HTTP/1.1)', async () => {
      const { socket } = await rawConnect(proxy.port, `${STS}:443`);
      await expect(tlsOver(socket, { servername: STS, ca: [ca.certificatePem], ALPNProtocols: ['h2'] })).rejects.toMatchObject({
        code: 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL',
      });
    });

    it('fails the handshake of a client that does not trust the CA, and counts it', async () => {
      const failures = (): number => proxy.outcomes.filter((o) => o === 'handshake_failed').length;
      const before = failures();
      const { socket } = await rawConnect(proxy.port, `${STS}:443`);
      await expect(tlsOver(socket, { servername: STS, ca: tls.rootCertificates as string[] })).rejects.toMatchObject({
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      });
      await waitFor(() => failures() > before, 'handshake_failed');
    });

    it('closes the tunnel an undici client leaves open after refusing the leaf', async () => {
      const strict = await new Harness(ca, { handshakeTimeoutMs: 300 }).start();
      const agent = new ProxyAgent({ uri: `http://127.0.0.1:${strict.port}` });
      try {
        await expect(request(`https://${STS}/`, { dispatcher: agent })).rejects.toMatchObject({
          code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        });
        await waitFor(() => strict.outcomes.includes('handshake_failed'), 'handshake_failed');
        await waitFor(() => strict.terminations.length === 0, 'no termination');
      } finally {
        await agent.close();
        await strict.stop();
      }
    });

    it('works for curl --proxy, and curl without the CA refuses the leaf', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'agentrail-intercept-'));
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' }; // no *_proxy variables leak in
      try {
        const caFile = path.join(dir, 'bundle.pem');
        await writeFile(caFile, ca.bundleWithSystemCAs());
        const proxyUrl = `http://127.0.0.1:${proxy.port}`;
        const { stdout } = await promisify(execFile)('curl', ['-sS', '--proxy', proxyUrl, '--cacert', caFile, `https://${STS}/curl`], { env });
        expect(stdout).toBe(`sidecar saw GET ${STS}/curl`);
        expect(proxy.seen.at(-1)).toMatchObject({ host: STS, target: { host: STS, port: 443, servername: STS } });
        const refused = promisify(execFile)('curl', ['-sS', '--proxy', proxyUrl, `https://${STS}/`], { env });
        await expect(refused).rejects.toMatchObject({ code: 60 }); // CURLE_PEER_FAILED_VERIFICATION
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('terminates an AWS SNI whatever the CONNECT host, and records the SNI host as the target', async () => {
      const { socket } = await rawConnect(proxy.port, `localhost:${portOf(origin)}`);
      const secure = await tlsOver(socket, { servername: STS, ca: [ca.certificatePem] });
      expect(await rawHttp(secure, STS)).toContain('sidecar saw GET');
      expect(proxy.seen.at(-1)!.target).toEqual({ host: STS, port: portOf(origin), servername: STS, mode: 'connect' });
    });

    it('terminates a ClientHello without SNI with a leaf for the CONNECT host', async () => {
      const { socket } = await rawConnect(proxy.port, `${STS}:443`);
      const secure = await tlsOver(socket, {
        host: '127.0.0.1', // an IP literal: Node sends no SNI
        ca: [ca.certificatePem],
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(STS, cert),
      });
      expect(await rawHttp(secure, STS)).toContain('sidecar saw GET');
      expect(proxy.seen.at(-1)!.target).toEqual({ host: STS, port: 443, mode: 'connect' });
    });

    it('serves plain HTTP sent through CONNECT to an AWS host instead of tunnelling it past the gateway', async () => {
      const { socket, status } = await rawConnect(proxy.port, 's3.amazonaws.com:80');
      expect(status).toBe('HTTP/1.1 200 Connection Established');
      expect(await rawHttp(socket, 's3.amazonaws.com', '/bucket')).toContain('sidecar saw GET s3.amazonaws.com/bucket');
      expect(proxy.seen.at(-1)).toMatchObject({ encrypted: false, target: { host: 's3.amazonaws.com', port: 80, mode: 'connect' } });
      expect(proxy.outcomes).toContain('plain_http');
    });

    it('refuses a decoy SNI to an AWS CONNECT host (domain fronting)', async () => {
      const { socket } = await rawConnect(proxy.port, `${STS}:443`);
      await expect(tlsOver(socket, { servername: 'example.org', ca: [ca.certificatePem] })).rejects.toThrow();
      await waitFor(() => proxy.outcomes.at(-1) === 'refused', 'refused');
    });
  });

  describe('other hosts are tunnelled untouched', () => {
    it('shows the client the origin server’s own certificate', async () => {
      const { socket, status } = await rawConnect(proxy.port, `localhost:${portOf(origin)}`);
      expect(status).toBe('HTTP/1.1 200 Connection Established');
      const secure = await tlsOver(socket, { servername: 'localhost', ca: [originCa.certificatePem] });
      expect(secure.getPeerX509Certificate()!.issuer).toBe(originCa.subject.replace(', ', '\n'));
      expect(await rawHttp(secure, 'localhost', '/direct')).toContain('origin saw localhost/direct');
      expect(proxy.tunnels.at(-1)).toEqual({ mode: 'connect', host: 'localhost', port: portOf(origin), servername: 'localhost' });
    });

    it('is not readable by a client that trusts only the sidecar CA', async () => {
      const { socket } = await rawConnect(proxy.port, `localhost:${portOf(origin)}`);
      await expect(tlsOver(socket, { servername: 'localhost', ca: [ca.certificatePem] })).rejects.toMatchObject({
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      });
    });

    it('carries an undici ProxyAgent request to the origin', async () => {
      const agent = new ProxyAgent({ uri: `http://127.0.0.1:${proxy.port}`, requestTls: { ca: [originCa.certificatePem] } });
      try {
        const response = await request(`https://localhost:${portOf(origin)}/via-undici`, { dispatcher: agent });
        expect(await response.body.text()).toBe(`origin saw localhost:${portOf(origin)}/via-undici`);
      } finally {
        await agent.close();
      }
    });

    it('answers 502 when the destination refuses the connection', async () => {
      const closed = net.createServer();
      await listen(closed);
      const port = portOf(closed);
      await close(closed);
      const { status, socket } = await rawConnect(proxy.port, `127.0.0.1:${port}`);
      expect(status).toBe('HTTP/1.1 502 Bad Gateway');
      socket.destroy();
      expect(proxy.outcomes.at(-1)).toBe('tunnel_failed');
    });

    it('lets a server that speaks first do so, without waiting for a ClientHello', async () => {
      const greeter = net.createServer((socket) => socket.end('220 ready\r\n'));
      await listen(greeter);
      try {
        const started = Date.now();
        const { socket, rest } = await rawConnect(proxy.port, `127.0.0.1:${portOf(greeter)}`);
        const chunks = [rest];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.resume();
        await once(socket, 'end');
        expect(Buffer.concat(chunks).toString()).toBe('220 ready\r\n');
        expect(Date.now() - started).toBeLessThan(2_000); // well under the 10 s ClientHello timeout
      } finally {
        await close(greeter);
      }
    });

    it('passes a half-close through: the answer still arrives after the client’s FIN', async () => {
      const echo = net.createServer({ allowHalfOpen: true }, (socket) => {
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.on('end', () => setTimeout(() => socket.end(`got:${Buffer.concat(chunks).toString()}`), 50));
      });
      await listen(echo);
      try {
        const { socket } = await rawConnect(proxy.port, `127.0.0.1:${portOf(echo)}`);
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.resume();
        socket.end('ping');
        await once(socket, 'close');
        expect(Buffer.concat(chunks).toString()).toBe('got:ping');
      } finally {
        await close(echo);
      }
    });
  });

  describe('bad input and misbehaving clients', () => {
    it.each(['sts.amazonaws.com', 'sts.amazonaws.com:0', 'sts.amazonaws.com:99999', 'user@sts.amazonaws.com:443', '[::1:443', 'bad..host:443'])(
      'answers 400 to CONNECT %s',
      async (authority) => {
        const { status, socket } = await rawConnect(proxy.port, authority);
        expect(status).toBe('HTTP/1.1 400 Bad Request');
        await once(socket, 'close');
        expect(proxy.outcomes.at(-1)).toBe('bad_request');
      },
    );

    it('survives a client that leaves mid-ClientHello, leaving no connection behind', async () => {
      const hello = await captureClientHello(STS);
      const { socket } = await rawConnect(proxy.port, `${STS}:443`);
      socket.write(hello.subarray(0, 100));
      await sleep(20);
      socket.destroy();
      await waitFor(() => proxy.outcomes.at(-1) === 'refused', 'refused');
      await waitFor(() => proxy.server.listening, 'server still up');
    });

    it('counts a client that leaves mid-handshake as a handshake failure', async () => {
      const hello = await captureClientHello(STS);
      const { socket } = await rawConnect(proxy.port, `${STS}:443`);
      socket.resume();
      socket.write(hello);
      await once(socket, 'data'); // our ServerHello
      socket.destroy();
      await waitFor(() => proxy.outcomes.at(-1) === 'handshake_failed', 'handshake_failed');
    });

    it('closes connections that stall before the ClientHello or during the handshake', async () => {
      const strict = await new Harness(ca, { clientHelloTimeoutMs: 200, handshakeTimeoutMs: 200 }).start();
      try {
        const silent = await rawConnect(strict.port, `${STS}:443`);
        await once(silent.socket, 'close');
        expect(strict.outcomes).toEqual(['refused']);

        const stalled = await rawConnect(strict.port, `${STS}:443`);
        stalled.socket.write(await captureClientHello(STS));
        stalled.socket.resume(); // read our ServerHello, never answer it
        await once(stalled.socket, 'close');
        expect(strict.outcomes).toEqual(['refused', 'handshake_failed']);
        expect(await connections(strict.server)).toBe(0);
      } finally {
        await strict.stop();
      }
    });
  });

  describe('transparent mode', () => {
    it('terminates an AWS SNI and records the original destination port', async () => {
      proxy.transparentDestination = { host: '52.94.0.10', port: 443 };
      const socket = net.connect({ host: '127.0.0.1', port: proxy.transparentPort });
      const secure = await tlsOver(socket, { servername: STS, ca: [ca.certificatePem] });
      expect(await rawHttp(secure, STS, '/t')).toContain(`sidecar saw GET ${STS}/t`);
      expect(proxy.seen.at(-1)!.target).toEqual({ host: STS, port: 443, servername: STS, mode: 'transparent' });
    });

    it('splices other TLS to the original destination', async () => {
      proxy.transparentDestination = { host: '127.0.0.1', port: portOf(origin) };
      const socket = net.connect({ host: '127.0.0.1', port: proxy.transparentPort });
      const secure = await tlsOver(socket, { servername: 'localhost', ca: [originCa.certificatePem] });
      expect(await rawHttp(secure, 'localhost', '/t')).toContain('origin saw localhost/t');
      expect(proxy.tunnels.at(-1)).toEqual({ mode: 'transparent', host: '127.0.0.1', port: portOf(origin), servername: 'localhost' });
    });

    it('serves plain HTTP to an intercepted original destination', async () => {
      proxy.transparentDestination = { host: 's3.amazonaws.com', port: 80 };
      const socket = net.connect({ host: '127.0.0.1', port: proxy.transparentPort });
      await once(socket, 'connect');
      expect(await rawHttp(socket, 's3.amazonaws.com', '/plain')).toContain('sidecar saw GET s3.amazonaws.com/plain');
      expect(proxy.seen.at(-1)).toMatchObject({ encrypted: false, target: { host: 's3.amazonaws.com', port: 80, mode: 'transparent' } });
    });

    it('refuses TLS without SNI when the original destination is unknown', async () => {
      proxy.transparentDestination = undefined;
      const socket = net.connect({ host: '127.0.0.1', port: proxy.transparentPort });
      await expect(tlsOver(socket, { host: '127.0.0.1', ca: [ca.certificatePem] })).rejects.toThrow();
      await waitFor(() => proxy.outcomes.at(-1) === 'refused', 'refused');
    });
  });

  it('leaves no connection open on the proxy once clients are gone', async () => {
    expect(proxy.seen.length).toBeGreaterThan(10); // runs last, after every test above
    const deadline = Date.now() + 5_000;
    let open = await connections(proxy.server);
    while (open > 0 && Date.now() < deadline) {
      await sleep(20);
      open = await connections(proxy.server);
    }
    // undici and curl connections above were closed by their clients.
    expect(open).toBe(0);
  });
});
