/**
 * A caller that stops sending mid-upload is cut off after
 * `limits.clientIdleTimeoutMs`, and the upstream request is aborted rather than
 * completed: a stalled agent cannot pin an upstream connection or leave a short
 * object behind.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { jest } from '@jest/globals';
import { fetchAgentCredentials } from './support/container-credentials.js';
import { signRequest, type Credentials } from './support/sigv4/signer.js';
import { startSigV4Upstream, type SigV4Upstream } from './support/sigv4-upstream.js';
import { startSidecar, type RunningSidecar } from './fixtures/sidecar-fixture.js';

jest.setTimeout(30_000);

const KEYS = { accessKeyId: 'AKIAUPSTREAMSTALLED1', secretAccessKey: 'stalled-upstream-secret' };
let upstream: SigV4Upstream;
let sidecar: RunningSidecar;
let agent: Credentials;

beforeAll(async () => {
  upstream = await startSigV4Upstream(KEYS);
  sidecar = await startSidecar(upstream.endpoint, KEYS, { 'limits.clientIdleTimeoutMs': 1000 });
  agent = await fetchAgentCredentials(sidecar.endpoints.credentialsUrl, sidecar.endpoints.rootToken);
});

afterAll(async () => {
  await sidecar?.stop();
  await upstream?.stop();
});

it('a caller silent mid-upload is disconnected and nothing is stored upstream', async () => {
  const url = new URL(`${sidecar.endpoints.explicitUrl}/bucket/stalled`);
  const signed = await signRequest({ method: 'PUT', url: url.href, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, { service: 's3', region: 'us-east-1', credentials: agent });
  const head = [`PUT ${url.pathname} HTTP/1.1`, ...Object.entries({ ...signed.headers, host: url.host, 'content-length': '1000000' }).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
  const started = Date.now();
  const closedAfter = await new Promise<number>((resolve, reject) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) }, () => {
      socket.write(head);
      socket.write(randomBytes(100_000)); // a tenth of the promised body, then silence
    });
    socket.on('data', () => undefined);
    socket.once('close', () => resolve(Date.now() - started));
    socket.once('error', reject);
  });
  expect(closedAfter).toBeGreaterThanOrEqual(900);
  expect(closedAfter).toBeLessThan(10_000);
  expect(upstream.object('/bucket/stalled')).toBeUndefined();
});
