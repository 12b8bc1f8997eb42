/**
 * Seeded mutation of HTTP requests for robustness tests: a request is kept as
 * parts (request line, header list, body pieces), mutated at the wire level —
 * framing, headers, signature fields, bytes — and serialised exactly as
 * mutated. Same seed, same requests: a failure is reproduced by its seed.
 */

import { seededRandom } from '../../../core/src/testing/seeded-random.js';

/** Seeded random choices (core's test PRNG, mulberry32). */
export class Rng {
  /** Uniform in [0, 1). */
  readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = seededRandom(seed);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** A request as parts; `serialise` writes them verbatim. */
export interface WireRequest {
  method: string;
  target: string;
  version: string;
  headers: Array<[string, string]>;
  /** Body pieces (each a separate write). */
  body: Buffer[];
  /** Bytes sent instead of / around the request. */
  prefix?: Buffer;
  suffix?: Buffer;
  /** Replace everything with these bytes. */
  raw?: Buffer;
  /** How the client ends: wait for the answer after a FIN, or vanish. */
  ending: 'half-close' | 'destroy';
}

export function fromHeaders(method: string, target: string, headers: Record<string, string>, body: readonly Buffer[]): WireRequest {
  return { method, target, version: 'HTTP/1.1', headers: Object.entries(headers), body: [...body], ending: 'half-close' };
}

/** The request's pieces on the wire: head first, then the body pieces. */
export function serialise(req: WireRequest): Buffer[] {
  if (req.raw !== undefined) return [req.raw];
  const line = `${req.method} ${req.target}${req.version === '' ? '' : ` ${req.version}`}\r\n`;
  const head = Buffer.from(`${line}${req.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`, 'latin1');
  const pieces = [head, ...req.body];
  if (req.prefix !== undefined) pieces.unshift(req.prefix);
  if (req.suffix !== undefined) pieces.push(req.suffix);
  return pieces;
}

type Mutation = (req: WireRequest, rng: Rng) => string;

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'TRACE', 'PROPFIND', 'G ET', 'put', 'PUTX', ''];
// No CONNECT and no absolute hosts other than loopback: fuzzing must never open a tunnel off this machine.
const TARGETS = [
  '', '*', '/', '//', '/../../etc/passwd', '/%', '/%zz', '/%00', '/bucket/%2e%2e/key', '/a b', '/?', '/?&&==&',
  '/?X-Amz-Signature=00', '/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb', '/?AWSAccessKeyId=AKIA&Signature=x&Expires=1',
  'http://127.0.0.1/x', 'http://127.0.0.1:1/', '/\u00e9t\u00e9', '/#frag',
];
const VERSIONS = ['HTTP/1.0', 'HTTP/0.9', 'HTTP/2.0', 'HTTP/1.1x', 'HTTP/1.', '', 'http/1.1', 'HTTP/1.1 extra'];
const CONTROL = ['\x00', '\r', '\n', '\x7f', '\r\n ', '\r\n', '\x1b[2J'];

function headerIndex(req: WireRequest, rng: Rng): number {
  return req.headers.length === 0 ? -1 : rng.int(req.headers.length);
}

function findHeader(req: WireRequest, name: string): number {
  return req.headers.findIndex(([k]) => k.toLowerCase() === name);
}

function flipChar(value: string, rng: Rng): string {
  if (value === '') return 'x';
  const i = rng.int(value.length);
  const c = String.fromCharCode((value.charCodeAt(i) + 1 + rng.int(60)) % 127 || 65);
  return value.slice(0, i) + c + value.slice(i + 1);
}

const MUTATIONS: Record<string, Mutation> = {
  dropHeader(req, rng) {
    const i = headerIndex(req, rng);
    if (i < 0) return 'dropHeader(none)';
    const [name] = req.headers.splice(i, 1)[0] as [string, string];
    return `dropHeader(${name})`;
  },
  duplicateHeader(req, rng) {
    const i = headerIndex(req, rng);
    if (i < 0) return 'duplicateHeader(none)';
    const [name, value] = req.headers[i] as [string, string];
    req.headers.splice(rng.int(req.headers.length + 1), 0, [rng.chance(0.5) ? name.toUpperCase() : name, rng.chance(0.5) ? value : flipChar(value, rng)]);
    return `duplicateHeader(${name})`;
  },
  flipHeaderValue(req, rng) {
    const i = headerIndex(req, rng);
    if (i < 0) return 'flipHeaderValue(none)';
    const h = req.headers[i] as [string, string];
    h[1] = flipChar(h[1], rng);
    return `flipHeaderValue(${h[0]})`;
  },
  controlInHeader(req, rng) {
    const i = headerIndex(req, rng);
    if (i < 0) return 'controlInHeader(none)';
    const h = req.headers[i] as [string, string];
    const at = rng.int(h[1].length + 1);
    const c = rng.pick(CONTROL);
    h[1] = h[1].slice(0, at) + c + h[1].slice(at);
    return `controlInHeader(${h[0]}, ${JSON.stringify(c)})`;
  },
  badHeaderName(req, rng) {
    req.headers.splice(rng.int(req.headers.length + 1), 0, [rng.pick(['x amz', 'x-amz-\u00e9', ':authority', '', 'x:y', 'Host ']), 'v']);
    return 'badHeaderName';
  },
  hugeHeader(req, rng) {
    const size = rng.between(6_000, 20_000);
    req.headers.push([`x-amz-meta-pad${rng.int(100)}`, 'h'.repeat(size)]);
    return `hugeHeader(${size})`;
  },
  manyHeaders(req, rng) {
    const n = rng.between(100, 400);
    for (let i = 0; i < n; i++) req.headers.push([`x-f${i}`, String(i)]);
    return `manyHeaders(${n})`;
  },
  method(req, rng) {
    req.method = rng.pick(METHODS);
    return `method(${JSON.stringify(req.method)})`;
  },
  target(req, rng) {
    req.target = rng.chance(0.15) ? `/${'p'.repeat(rng.between(4_000, 30_000))}` : rng.pick(TARGETS);
    return `target(${JSON.stringify(req.target.slice(0, 40))})`;
  },
  version(req, rng) {
    req.version = rng.pick(VERSIONS);
    return `version(${JSON.stringify(req.version)})`;
  },
  contentLength(req, rng) {
    const i = findHeader(req, 'content-length');
    const current = i < 0 ? 0 : Number((req.headers[i] as [string, string])[1]);
    const value = rng.pick([String(current + rng.between(1, 50)), String(Math.max(0, current - rng.between(1, 50))), 'abc', '-1', '99999999999999999999', ' 5', '0x10', '']);
    if (i < 0) req.headers.push(['content-length', value]);
    else (req.headers[i] as [string, string])[1] = value;
    return `contentLength(${JSON.stringify(value)})`;
  },
  transferEncoding(req, rng) {
    const value = rng.pick(['chunked', 'gzip', 'chunked, identity', 'identity', 'xchunked', 'chunked\t', 'gzip, chunked']);
    req.headers.push([rng.pick(['transfer-encoding', 'Transfer-Encoding', 'transfer-encoding ']), value]);
    return `transferEncoding(${JSON.stringify(value)})`;
  },
  truncateBody(req, rng) {
    const body = Buffer.concat(req.body);
    if (body.length === 0) return 'truncateBody(empty)';
    const cut = rng.int(body.length);
    req.body = [body.subarray(0, cut)];
    req.ending = rng.pick(['half-close', 'destroy'] as const);
    return `truncateBody(${cut}/${body.length}, ${req.ending})`;
  },
  extendBody(req, rng) {
    req.suffix = rng.chance(0.5) ? rng.bytes(rng.between(1, 300)) : Buffer.from(`GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    return 'extendBody';
  },
  flipBodyByte(req, rng) {
    const body = Buffer.concat(req.body);
    if (body.length === 0) return 'flipBodyByte(empty)';
    const i = rng.int(body.length);
    body[i] = (body[i] as number) ^ (1 + rng.int(255));
    req.body = [body];
    return `flipBodyByte(${i})`;
  },
  splitBody(req, rng) {
    const body = Buffer.concat(req.body);
    const pieces: Buffer[] = [];
    for (let at = 0; at < body.length;) {
      const n = rng.between(1, 2_000);
      pieces.push(body.subarray(at, at + n));
      at += n;
    }
    req.body = pieces;
    return `splitBody(${pieces.length})`;
  },
  chunkFraming(req, rng) {
    const body = Buffer.concat(req.body);
    const text = body.toString('latin1');
    const frames = rng.pick([
      () => text.replace(/^[0-9a-f]+/, rng.pick(['zz', '-1', 'ffffffffffff', '', '1 0'])),
      () => text.replace(/\r\n/, '\n'),
      () => text.replace(/chunk-signature=[0-9a-f]{64}/, `chunk-signature=${'0'.repeat(rng.pick([63, 64, 65]))}`),
      () => text.replace(/;chunk-signature=/, rng.pick([';', ';chunk-signature', ';x=y;chunk-signature='])),
      () => text.slice(0, Math.max(0, text.length - rng.between(1, 90))),
      () => `${text}5\r\nextra\r\n0\r\n\r\n`,
      () => `${rng.between(1, 50).toString(16)}\r\n${rng.bytes(10).toString('latin1')}\r\n0\r\n\r\n`,
    ]);
    req.body = [Buffer.from(frames(), 'latin1')];
    return 'chunkFraming';
  },
  authorization(req, rng) {
    const i = findHeader(req, 'authorization');
    if (i < 0) {
      req.headers.push(['authorization', rng.pick(['AWS4-HMAC-SHA256', 'AWS AKIA:sig', 'Basic Zm9vOmJhcg==', 'AWS4-ECDSA-P256-SHA256 Credential=x'])]);
      return 'authorization(added)';
    }
    const h = req.headers[i] as [string, string];
    h[1] = rng.pick([
      (v: string) => v.replace(/Signature=[0-9a-f]+/, `Signature=${'a'.repeat(rng.pick([0, 63, 64, 65, 200]))}`),
      (v: string) => v.replace(/SignedHeaders=[^,]+/, 'SignedHeaders=x-amz-date;host'),
      (v: string) => v.replace(/Credential=[^,]+/, rng.pick(['Credential=', 'Credential=a/b/c', 'Credential=ASIA/20200101/us-east-1/s3/aws4_request'])),
      (v: string) => v.replace(/,\s*/g, rng.pick([',,', ' ', ';', ', ,'])),
      (v: string) => v.slice(0, rng.int(v.length)),
      (v: string) => `${v}, Extra=1`,
      (v: string) => v.toLowerCase(),
    ])(h[1]);
    return 'authorization(mutated)';
  },
  amzDate(req, rng) {
    const i = findHeader(req, 'x-amz-date');
    const value = rng.pick(['', '20200101T000000Z', '99999999T999999Z', 'yesterday', '20260101T000000', new Date().toUTCString()]);
    if (i < 0) req.headers.push(['x-amz-date', value]);
    else (req.headers[i] as [string, string])[1] = value;
    return `amzDate(${JSON.stringify(value)})`;
  },
  contentSha256(req, rng) {
    const i = findHeader(req, 'x-amz-content-sha256');
    const value = rng.pick(['UNSIGNED-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'ZZ', '']);
    if (i < 0) req.headers.push(['x-amz-content-sha256', value]);
    else (req.headers[i] as [string, string])[1] = value;
    return `contentSha256(${value.slice(0, 30)})`;
  },
  expectContinue(req) {
    req.headers.push(['expect', '100-continue']);
    return 'expectContinue';
  },
  prefixGarbage(req, rng) {
    req.prefix = rng.chance(0.5) ? rng.bytes(rng.between(1, 64)) : Buffer.from('\r\n\r\n');
    return 'prefixGarbage';
  },
  randomBytes(req, rng) {
    req.raw = rng.bytes(rng.between(1, 4_000));
    req.ending = 'half-close';
    return 'randomBytes';
  },
  tlsHello(req, rng) {
    // The start of a TLS ClientHello sent to the plain-HTTP listener.
    req.raw = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), rng.bytes(rng.between(20, 300))]);
    return 'tlsHello';
  },
  vanish(req) {
    req.ending = 'destroy';
    return 'vanish';
  },
};

const NAMES = Object.keys(MUTATIONS);

/** Applies 1–3 random mutations; returns their descriptions. */
export function mutate(req: WireRequest, rng: Rng): string[] {
  const applied: string[] = [];
  const n = rng.between(1, 3);
  for (let i = 0; i < n; i++) applied.push((MUTATIONS[rng.pick(NAMES)] as Mutation)(req, rng));
  return applied;
}
