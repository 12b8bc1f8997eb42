/**
 * When AWS (or the network to it) fails: refused connections, resets before
 * and during the answer, silence, a body that stalls. The caller gets a 5xx
 * AWS error in its protocol while nothing was sent yet, a cut connection once
 * the answer had started (never a short body that looks complete); each
 * failure is counted, and the sidecar serves the next call normally.
 */
import { jest } from '@jest/globals';
import { dynamoDbCall, requestHead, signedCall } from './support/agent-calls.js';
import { fetchAgentCredentials, type AgentCredentials } from './support/container-credentials.js';
import { OK_BODY, startFaultyUpstream, type FaultyUpstream } from './support/faulty-upstream.js';
import { freePort } from './support/ports.js';
import { metricSum, scrape } from './support/prometheus-text.js';
import { sendRaw, type RawResponse } from './support/raw-http.js';
import { exchange, parseResponse } from './support/raw-socket.js';
import { startSidecar, type RunningSidecar } from './fixtures/sidecar-fixture.js';

jest.setTimeout(30_000);

const KEYS = { accessKeyId: 'AKIAUPSTREAMFAULTS01', secretAccessKey: 'upstream-secret-faults' };
const TIMEOUTS = { 'upstream.headersTimeoutMs': 300, 'upstream.bodyTimeoutMs': 300, 'upstream.connectTimeoutMs': 500 };
const UPSTREAM_ERRORS = 'agentrail_sidecar_upstream_errors_total';

let faulty: FaultyUpstream;
let sidecar: RunningSidecar;
let creds: AgentCredentials;

beforeAll(async () => {
  faulty = await startFaultyUpstream();
  sidecar = await startSidecar(faulty.endpoint, KEYS, TIMEOUTS);
  creds = await fetchAgentCredentials(sidecar.endpoints.credentialsUrl, sidecar.endpoints.rootToken);
});

afterAll(async () => {
  await sidecar?.stop();
  await faulty?.stop();
});

beforeEach(() => {
  faulty.mode = 'ok';
});

function s3Get(s: RunningSidecar, c: AgentCredentials, key: string) {
  return signedCall(s.endpoints.explicitUrl, c, { service: 's3', method: 'GET', path: `/faults/${key}` });
}

async function upstreamErrors(s: RunningSidecar): Promise<number> {
  return metricSum(await scrape(s.endpoints.opsUrl), UPSTREAM_ERRORS);
}

function s3Code(res: RawResponse): string {
  expect(res.headers['content-type']).toBe('application/xml');
  return /<Code>([^<]*)<\/Code>/.exec(res.body.toString())?.[1] ?? '';
}

/** A valid call goes through and returns the upstream's body. */
async function servesNormally(s: RunningSidecar = sidecar, c: AgentCredentials = creds): Promise<void> {
  faulty.mode = 'ok';
  const res = await sendRaw(s.endpoints.explicitUrl, await s3Get(s, c, 'healthy'));
  expect(res.status).toBe(200);
  expect(res.body.toString()).toBe(OK_BODY);
}

describe('before the upstream answered: a 5xx AWS error', () => {
  it('connection refused: 502 ServiceUnavailable (S3) / ServiceUnavailableException (JSON), then recovery when it comes up', async () => {
    const port = await freePort();
    const down = await startSidecar(`http://127.0.0.1:${port}`, KEYS, TIMEOUTS);
    let revived: FaultyUpstream | undefined;
    try {
      const c = await fetchAgentCredentials(down.endpoints.credentialsUrl, down.endpoints.rootToken);
      const before = await scrape(down.endpoints.opsUrl);
      const s3 = await sendRaw(down.endpoints.explicitUrl, await s3Get(down, c, 'refused'));
      expect(s3.status).toBe(502);
      expect(s3Code(s3)).toBe('ServiceUnavailable');
      const ddb = await sendRaw(down.endpoints.explicitUrl, await signedCall(down.endpoints.explicitUrl, c, dynamoDbCall('ListTables')));
      expect(ddb.status).toBe(502);
      expect(JSON.parse(ddb.body.toString()).__type).toMatch(/#ServiceUnavailableException$/);
      const after = await scrape(down.endpoints.opsUrl);
      expect(metricSum(after, UPSTREAM_ERRORS) - metricSum(before, UPSTREAM_ERRORS)).toBe(2);
      expect(metricSum(after, UPSTREAM_ERRORS, { reason: 'econnrefused' }) - metricSum(before, UPSTREAM_ERRORS, { reason: 'econnrefused' })).toBe(2);
      expect(metricSum(after, 'agentrail_sidecar_caller_errors_total', { code: 'ServiceUnavailable' })).toBe(1);

      revived = await startFaultyUpstream({ port });
      const ok = await sendRaw(down.endpoints.explicitUrl, await s3Get(down, c, 'revived'));
      expect(ok.status).toBe(200);
      expect(ok.body.toString()).toBe(OK_BODY);
    } finally {
      await down.stop();
      await revived?.stop();
    }
  });

  it('reset before any answer: 502, counted, next call fine', async () => {
    const before = await upstreamErrors(sidecar);
    faulty.mode = 'reset-before-response';
    const res = await sendRaw(sidecar.endpoints.explicitUrl, await s3Get(sidecar, creds, 'reset-early'));
    expect(res.status).toBe(502);
    expect(s3Code(res)).toBe('ServiceUnavailable');
    expect(res.headers['x-amz-request-id']).toBeDefined();
    expect((await upstreamErrors(sidecar)) - before).toBe(1);
    await servesNormally();
  });

  it('an upstream that never answers: 504 within the headers timeout (S3 InternalError, JSON InternalFailure)', async () => {
    const before = await scrape(sidecar.endpoints.opsUrl);
    faulty.mode = 'silent';
    const started = Date.now();
    const res = await sendRaw(sidecar.endpoints.explicitUrl, await s3Get(sidecar, creds, 'silent'));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(res.status).toBe(504);
    expect(s3Code(res)).toBe('InternalError');
    const ddb = await sendRaw(sidecar.endpoints.explicitUrl, await signedCall(sidecar.endpoints.explicitUrl, creds, dynamoDbCall('ListTables')));
    expect(ddb.status).toBe(504);
    expect(JSON.parse(ddb.body.toString()).__type).toMatch(/#InternalFailure$/);
    const after = await scrape(sidecar.endpoints.opsUrl);
    expect(metricSum(after, UPSTREAM_ERRORS, { reason: 'timeout' }) - metricSum(before, UPSTREAM_ERRORS, { reason: 'timeout' })).toBe(2);
    await servesNormally();
  });
});

describe('after the answer started: the caller sees a cut connection, never a complete-looking short body', () => {
  it('reset mid-body: head relayed, body cut short, connection closed; counted; next call fine', async () => {
    const before = await scrape(sidecar.endpoints.opsUrl);
    faulty.mode = 'reset-mid-response';
    const req = await s3Get(sidecar, creds, 'reset-mid');
    const r = await exchange(Number(new URL(sidecar.endpoints.explicitUrl).port), [requestHead(req)]);
    expect(r.timedOut).toBe(false);
    expect(r.closedByPeer).toBe(true);
    const res = parseResponse(r.data);
    expect(res?.status).toBe(200);
    expect(res?.headers['content-length']).toBe('1000');
    expect(res?.complete).toBe(false);
    const after = await scrape(sidecar.endpoints.opsUrl);
    expect(metricSum(after, UPSTREAM_ERRORS) - metricSum(before, UPSTREAM_ERRORS)).toBe(1);
    expect(metricSum(after, 'agentrail_sidecar_calls_total', { service: 's3', outcome: 'failed' })
      - metricSum(before, 'agentrail_sidecar_calls_total', { service: 's3', outcome: 'failed' })).toBe(1);
    await servesNormally();
  });

  it('a body that stalls: cut after the body timeout, not held open', async () => {
    faulty.mode = 'stall-mid-body';
    const req = await s3Get(sidecar, creds, 'stall');
    const started = Date.now();
    const r = await exchange(Number(new URL(sidecar.endpoints.explicitUrl).port), [requestHead(req)], { timeoutMs: 5_000 });
    expect(r.timedOut).toBe(false);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(parseResponse(r.data)?.complete).toBe(false);
    await servesNormally();
  });

  it('an SDK caller sees the cut as an error, not as data', async () => {
    faulty.mode = 'reset-mid-response';
    await expect(sendRaw(sidecar.endpoints.explicitUrl, await s3Get(sidecar, creds, 'sdk-view'))).rejects.toThrow(/aborted|ECONNRESET|socket hang up/i);
    await servesNormally();
  });
});

describe('a caller that gives up while the upstream is slow', () => {
  it('closes the upstream request too, and the sidecar carries on', async () => {
    faulty.mode = 'silent';
    const heads = faulty.heads.length;
    const req = await s3Get(sidecar, creds, 'gave-up');
    const r = await exchange(Number(new URL(sidecar.endpoints.explicitUrl).port), [requestHead(req)], { timeoutMs: 100 });
    expect(r.timedOut).toBe(true);
    expect(faulty.heads.length).toBe(heads + 1);
    // The upstream request is aborted with the caller, not left to the headers timeout.
    const until = Date.now() + 200;
    while (!faulty.connectionClosed(heads) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(faulty.connectionClosed(heads)).toBe(true);
    await servesNormally();
    const health = await fetch(`${sidecar.endpoints.opsUrl}/healthz`);
    expect(health.status).toBe(200);
  });
});
