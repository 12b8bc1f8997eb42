// The benchmark's upstream: a small "AWS" that verifies every request's SigV4
// signature with @agentrail/core (speed matters more here than independence)
// and answers fixed responses:
//   - JSON protocol (X-Amz-Target POST): a ~1 KB DynamoDB-style JSON answer;
//   - S3 PUT: counts the body and discards it; aws-chunked bodies get every
//     chunk signature checked (so a broken re-signing fails the benchmark).
// GET /__bench/stats (unsigned) returns the counters.
// Started by run.mjs; prints one JSON line {"port": N} once listening.
// Env: BENCH_UPSTREAM_KEYS = JSON {accessKeyId: secretAccessKey}.

import http from 'node:http';
import { Writable } from 'node:stream';
import {
  AwsChunkedResigner, SigningKeyCache, checkFreshness, parseQuery, parseSigV4, sha256Hex, verifySignature,
  STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER,
} from '@agentrail/core';

const secrets = new Map(Object.entries(JSON.parse(process.env.BENCH_UPSTREAM_KEYS ?? '{}')));
const keys = new SigningKeyCache();
const MAX_JSON_BODY = 1024 * 1024;

const stats = { verified: 0, rejected: 0, json: 0, uploads: 0, uploadBytes: 0, chunkedUploads: 0, errors: [] };

/** ~1 KB DynamoDB-style answer (PutItem with ReturnValues ALL_OLD). */
const JSON_RESPONSE = Buffer.from(JSON.stringify({
  Attributes: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`attr${i}`, { S: `value-${i}-`.padEnd(60, 'x') }])),
  ConsumedCapacity: { TableName: 'bench-table', CapacityUnits: 1 },
}));

function reply(res, status, headers, body) {
  res.writeHead(status, { ...headers, 'content-length': body.length, 'x-amzn-requestid': 'BENCH00000000000000000000000000000000000000000000' });
  res.end(body);
}

function refuse(req, res, code, message) {
  stats.rejected++;
  if (stats.errors.length < 20) stats.errors.push(`${req.method} ${req.url}: ${code}: ${message}`);
  const body = Buffer.from(JSON.stringify({ __type: `com.amazonaws#${code}`, message }));
  if (!req.complete) res.setHeader('connection', 'close');
  reply(res, code === 'InternalFailure' ? 500 : 403, { 'content-type': 'application/x-amz-json-1.0' }, body);
  req.resume();
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const parts = [];
    let size = 0;
    req.on('data', (c) => { size += c.length; if (size > limit) reject(new Error('body too large')); else parts.push(c); });
    req.on('end', () => resolve(parts.length === 1 ? parts[0] : Buffer.concat(parts, size)));
    req.on('error', reject);
  });
}

async function handle(req, res) {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = parseQuery(q === -1 ? '' : url.slice(q + 1));
  if (path === '/__bench/stats') { reply(res, 200, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify(stats))); return; }

  let auth;
  try {
    auth = parseSigV4(req.headers, query);
  } catch (err) { refuse(req, res, 'IncompleteSignature', err.message); return; }
  if (auth === undefined) { refuse(req, res, 'MissingAuthenticationToken', 'no signature'); return; }
  const secret = secrets.get(auth.accessKeyId);
  if (secret === undefined) { refuse(req, res, 'InvalidClientTokenId', `unknown access key ${auth.accessKeyId}`); return; }
  try { checkFreshness(auth, Date.now()); } catch (err) { refuse(req, res, 'SignatureDoesNotMatch', err.message); return; }

  const wire = { method: req.method, path, query, rawHeaders: req.rawHeaders };
  const declared = req.headers['x-amz-content-sha256'];

  if (declared === undefined || /^[0-9a-f]{64}$/.test(declared)) {
    // JSON / query protocols: the payload hash is the body's SHA-256.
    let body;
    try { body = await readBody(req, MAX_JSON_BODY); } catch (err) { refuse(req, res, 'InternalFailure', err.message); return; }
    const hash = sha256Hex(body);
    if (declared !== undefined && declared !== hash) { refuse(req, res, 'SignatureDoesNotMatch', 'x-amz-content-sha256 does not match the body'); return; }
    try { verifySignature(wire, auth, secret, hash, keys); } catch (err) { refuse(req, res, 'SignatureDoesNotMatch', err.message); return; }
    stats.verified++;
    stats.json++;
    reply(res, 200, { 'content-type': 'application/x-amz-json-1.0' }, JSON_RESPONSE);
    return;
  }

  let seed;
  try { seed = verifySignature(wire, auth, secret, declared, keys); } catch (err) { refuse(req, res, 'SignatureDoesNotMatch', err.message); return; }
  stats.verified++;
  let bytes = 0;
  const sink = new Writable({ write(chunk, _enc, cb) { bytes += chunk.length; cb(); } });
  let source = req;
  if (declared === STREAMING_SIGNED || declared === STREAMING_SIGNED_TRAILER || declared === STREAMING_UNSIGNED_TRAILER) {
    // Check every chunk signature the sidecar produced (the re-framed output is discarded).
    const ctx = { seedSignature: seed, signingKey: keys.get(secret, auth.scopeDate, auth.region, auth.service), amzDate: auth.amzDate, scope: auth.scope };
    const decoded = req.headers['x-amz-decoded-content-length'];
    source = req.pipe(new AwsChunkedResigner({
      payload: declared, caller: ctx, upstream: ctx, maxChunkBytes: 16 * 1024 * 1024,
      ...(decoded !== undefined ? { decodedLength: Number(decoded) } : {}),
    }));
  }
  source.pipe(sink);
  const chunked = source !== req;
  const done = () => {
    const expected = Number(req.headers['content-length']);
    if (!chunked && req.headers['content-length'] !== undefined && bytes !== expected) {
      refuse(req, res, 'IncompleteBody', `got ${bytes} of ${expected} bytes`);
      return;
    }
    stats.uploads++;
    if (chunked) stats.chunkedUploads++;
    stats.uploadBytes += bytes;
    res.writeHead(200, { etag: '"bench"', 'content-length': 0, 'x-amz-request-id': 'BENCH' });
    res.end();
  };
  sink.once('finish', done);
  source.once('error', (err) => { source.unpipe(sink); refuse(req, res, 'SignatureDoesNotMatch', err.message); });
}

const server = http.createServer({ keepAliveTimeout: 120_000, headersTimeout: 60_000, requestTimeout: 0 }, (req, res) => {
  handle(req, res).catch((err) => { if (!res.headersSent) refuse(req, res, 'InternalFailure', String(err)); else res.destroy(); });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
