/**
 * Randomised robustness: a few hundred valid signed requests, mutated at the
 * wire level (framing, headers, signature fields, bodies, raw bytes), thrown
 * at the explicit listener over raw sockets. Whatever comes in, the sidecar
 * answers with an AWS-shaped error or closes the connection, never stores
 * bytes other than those the caller signed, leaks no connection, and keeps
 * serving real clients.
 *
 * Seeded and bounded: AGENTRAIL_FUZZ_SEED=<n> replays a run, AGENTRAIL_FUZZ_CASES
 * sets the count. The seed is in every failure message.
 */
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { jest } from '@jest/globals';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { dynamoDbCall, queryCall, signedCall, type CallSpec } from './support/agent-calls.js';
import { fetchAgentCredentials, type AgentCredentials } from './support/container-credentials.js';
import { metricSum, scrape } from './support/prometheus-text.js';
import { exchange, parseResponse, statusLines, type SocketExchange } from './support/raw-socket.js';
import { Rng, fromHeaders, mutate, serialise, type WireRequest } from './support/request-fuzzer.js';
import { signedChunkedUpload } from './support/sigv4/chunked-upload.js';
import { startSigV4Upstream, type SigV4Upstream } from './support/sigv4-upstream.js';
import { startSidecar, type RunningSidecar } from './fixtures/sidecar-fixture.js';

jest.setTimeout(60_000);

const SEED = Number(process.env.AGENTRAIL_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CASES = Number(process.env.AGENTRAIL_FUZZ_CASES ?? 300);
const BUDGET_MS = 10_000;
const CONCURRENCY = 8;
const KEYS = { accessKeyId: 'AKIAUPSTREAMFUZZ0001', secretAccessKey: 'upstream-secret-fuzz' };

interface CaseResult {
  index: number;
  base: string;
  mutations: string[];
  result: SocketExchange;
  statuses: number[];
}

let upstream: SigV4Upstream;
let sidecar: RunningSidecar;
let creds: AgentCredentials;
let port: number;
const results: CaseResult[] = [];
/** SHA-256 of the payload each S3 key was signed for. */
const signedPayloads = new Map<string, string>();
let baselineConnections = 0;

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const why = (detail: string): string => `fuzz seed ${SEED} (replay: AGENTRAIL_FUZZ_SEED=${SEED}): ${detail}`;

/** A valid signed request of one of the shapes agents send. */
async function baseRequest(rng: Rng, index: number): Promise<{ name: string; req: WireRequest }> {
  const base = sidecar.endpoints.explicitUrl;
  const key = `/fuzz/case-${index}`;
  const payload = rng.bytes(rng.pick([0, 1, 100, 3000, 9000]));
  const shape = rng.pick(['s3-put', 's3-put-unsigned', 's3-get', 's3-chunked', 'dynamodb', 'sts'] as const);
  if (shape === 's3-chunked') {
    const chunks = payload.length > 8192 ? [payload.subarray(0, 8192), payload.subarray(8192)] : [payload];
    const up = await signedChunkedUpload(`${base}${key}`, creds, chunks);
    signedPayloads.set(key, sha256(up.payload));
    return { name: shape, req: fromHeaders(up.method, up.path, up.headers, up.pieces) };
  }
  let spec: CallSpec;
  if (shape === 's3-put' || shape === 's3-put-unsigned') {
    spec = { service: 's3', method: 'PUT', path: key, body: payload, unsignedPayload: shape === 's3-put-unsigned' };
    // UNSIGNED-PAYLOAD: any body is the caller's to send.
    if (shape === 's3-put') signedPayloads.set(key, sha256(payload));
  } else if (shape === 's3-get') spec = { service: 's3', method: 'GET', path: key };
  else if (shape === 'dynamodb') spec = dynamoDbCall('PutItem', { TableName: 'fuzz', Item: { pad: { S: payload.toString('base64') } } });
  else spec = queryCall('sts', 'GetCallerIdentity', '2011-06-15');
  const signed = await signedCall(base, creds, spec);
  return { name: shape, req: fromHeaders(signed.method, signed.path, signed.headers, signed.body === undefined ? [] : [signed.body]) };
}

async function runCase(index: number): Promise<void> {
  const rng = new Rng((SEED ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const { name, req } = await baseRequest(rng, index);
  const mutations = mutate(req, rng);
  // Wait for an answer; a request the sidecar still reads a body for gets a FIN
  // after a while, and must then be closed: only a connection left open after
  // that counts as wedged.
  const result = await exchange(port, serialise(req), {
    timeoutMs: 4_000,
    after: req.ending === 'destroy' ? 'destroy' : 'wait',
    untilResponse: true,
    finAfterMs: 1_000,
    ...(req.body.length > 1 ? { pauseMs: 1 } : {}),
  });
  results.push({ index, base: name, mutations, result, statuses: statusLines(result.data) });
}

beforeAll(async () => {
  upstream = await startSigV4Upstream({ ...KEYS, minChunkBytes: 0 });
  sidecar = await startSidecar(upstream.endpoint, KEYS, {
    'limits.maxBufferedBodyBytes': 4096,
    'limits.maxChunkBytes': 8192,
    'limits.maxHeaderBytes': 8192,
    'upstream.headersTimeoutMs': 2_000,
  });
  port = Number(new URL(sidecar.endpoints.explicitUrl).port);
  creds = await fetchAgentCredentials(sidecar.endpoints.credentialsUrl, sidecar.endpoints.rootToken);
  baselineConnections = metricSum(await scrape(sidecar.endpoints.opsUrl), 'agentrail_sidecar_open_connections', { listener: 'explicit' });

  const deadline = Date.now() + BUDGET_MS;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < CASES && Date.now() < deadline) await runCase(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  results.sort((a, b) => a.index - b.index);
});

afterAll(async () => {
  await sidecar?.stop();
  await upstream?.stop();
});

function describeCase(r: CaseResult): string {
  return `case ${r.index} ${r.base} + [${r.mutations.join(', ')}] → ${r.statuses.join(',') || '(no answer)'}${r.result.timedOut ? ' TIMED OUT' : ''}`;
}

describe(`fuzzing the explicit listener (replay: AGENTRAIL_FUZZ_SEED=${SEED})`, () => {
  it('ran a bounded number of cases', () => {
    expect(results.length).toBeGreaterThanOrEqual(Math.min(CASES, 100));
  });

  it('no request wedges the sidecar: every case was answered or closed', () => {
    const hung = results.filter((r) => r.result.timedOut);
    expect(hung.map(describeCase)).toEqual([]);
  });

  it('every refusal is AWS-shaped: an XML <Code> or a JSON error type', () => {
    const bad: string[] = [];
    for (const r of results) {
      const res = parseResponse(r.result.data);
      if (res === undefined || res.status < 400 || res.body.length === 0 || !res.complete) continue;
      const text = res.body.toString('utf8');
      const xml = /<Code>[A-Za-z0-9.]+<\/Code>/.test(text);
      const json = res.headers['x-amzn-errortype'] !== undefined || /"__type"\s*:/.test(text);
      if (!xml && !json) bad.push(`${describeCase(r)}: ${text.slice(0, 120)}`);
    }
    expect(bad).toEqual([]);
  });

  it('the upstream stored nothing but what the caller signed', () => {
    const wrong: string[] = [];
    for (const [key, signed] of signedPayloads) {
      const stored = upstream.object(key);
      if (stored !== undefined && stored.sha256 !== signed) {
        const r = results.find((x) => `/fuzz/case-${x.index}` === key);
        wrong.push(`${key} ${r === undefined ? '' : describeCase(r)} stored ${stored.bytes} bytes`);
      }
    }
    expect({ seed: SEED, wrong }).toEqual({ seed: SEED, wrong: [] });
  });

  it('no connection is left open once the clients are gone', async () => {
    const until = Date.now() + 3_000;
    let open = Number.NaN;
    while (Date.now() < until) {
      open = metricSum(await scrape(sidecar.endpoints.opsUrl), 'agentrail_sidecar_open_connections', { listener: 'explicit' });
      if (open === baselineConnections) break;
      await delay(100);
    }
    expect({ seed: SEED, open }).toEqual({ seed: SEED, open: baselineConnections });
  });

  it('a real SDK still works, and /healthz answers', async () => {
    const s3 = new S3Client({
      ...sidecar.sdkConfig(),
      forcePathStyle: true,
    });
    try {
      await s3.send(new PutObjectCommand({ Bucket: 'fuzz', Key: 'after', Body: 'still here' }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'fuzz', Key: 'after' }));
      expect(await got.Body?.transformToString()).toBe('still here');
    } catch (err) {
      throw new Error(why(`valid call failed after fuzzing: ${String(err)}`), { cause: err });
    } finally {
      s3.destroy();
    }
    expect((await fetch(`${sidecar.endpoints.opsUrl}/healthz`)).status).toBe(200);
  });

  it('some mutated calls were still forwarded, and most were refused', () => {
    const forwarded = results.filter((r) => r.statuses.some((s) => s >= 200 && s < 300)).length;
    const refused = results.filter((r) => r.statuses.some((s) => s >= 400)).length;
    expect({ seed: SEED, forwardedSome: forwarded > 0, refusedMost: refused > results.length / 3 }).toEqual({ seed: SEED, forwardedSome: true, refusedMost: true });
  });

  it('no mutated request gets a 5xx from the sidecar itself (caller garbage is never a gateway failure)', () => {
    // Upstream answers are relayed as they are; the sidecar's own errors carry a 16-hex request id.
    const fivexx = results.flatMap((r) => {
      const res = parseResponse(r.result.data);
      const own = res !== undefined && res.status >= 500 && /^[0-9A-F]{16}$/.test(res.headers['x-amzn-requestid'] ?? '');
      return own ? [`${describeCase(r)}: ${res.body.toString().slice(0, 160)}`] : [];
    });
    expect({ seed: SEED, fivexx }).toEqual({ seed: SEED, fivexx: [] });
  });
});
