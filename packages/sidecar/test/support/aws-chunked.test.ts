/**
 * The aws-chunked decoder against AWS's published vectors, fed the way TCP
 * delivers bytes: in arbitrary pieces.
 */
import { createHash } from 'node:crypto';
import { EXAMPLE_CREDENTIALS, signedChunkedExample, signedTrailerExample } from './aws-chunked-examples.js';
import { AwsChunkedDecoder, AwsChunkedError } from './sigv4/aws-chunked.js';
import type { ChunkSigning } from './sigv4/aws-chunked.js';
import { parseCredential, signingKey } from './sigv4/canonical.js';
import type { CredentialScope } from './sigv4/canonical.js';

const scope = parseCredential('AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request') as CredentialScope;
const signing = (seedSignature: string): ChunkSigning => ({
  key: signingKey(EXAMPLE_CREDENTIALS.secretAccessKey, scope),
  amzDate: '20130524T000000Z',
  scope: scope.scope,
  seedSignature,
});
const SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
const TRAILER_SEED = '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e';

function decode(decoder: AwsChunkedDecoder, pieces: readonly Buffer[]): Buffer {
  const out: Buffer[] = [];
  for (const piece of pieces) for (const data of decoder.push(piece)) out.push(Buffer.from(data));
  decoder.end();
  return Buffer.concat(out);
}

function split(body: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [0, ...[...cuts].sort((a, b) => a - b), body.length];
  return points.slice(1).map((end, i) => body.subarray(points[i], end));
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('aws-chunked decoder', () => {
  test('decodes the signed example identically wherever the bytes are cut', () => {
    const example = signedChunkedExample();
    expect(example.body.length).toBe(66_824); // the published Content-Length
    // Cuts inside a header line, inside a signature, between CR and LF, at chunk edges.
    const interesting = [1, 5, 30, 86, 87, 88, 100, 65_623, 65_624, 65_625, 65_626, 65_700, 66_736, 66_822, 66_823];
    for (const cut of interesting) {
      const decoder = new AwsChunkedDecoder({ signing: signing(SEED), trailer: false });
      expect(sha256(decode(decoder, split(example.body, [cut])))).toBe(sha256(example.payload));
      expect(decoder.chunks).toBe(3);
    }
    const random = Array.from({ length: 200 }, () => 1 + Math.floor(Math.random() * (example.body.length - 1)));
    const decoder = new AwsChunkedDecoder({ signing: signing(SEED), trailer: false });
    expect(decode(decoder, split(example.body, random)).equals(example.payload)).toBe(true);
  });

  test('decodes the signed example fed one byte at a time', () => {
    const example = signedChunkedExample();
    const decoder = new AwsChunkedDecoder({ signing: signing(SEED), trailer: false });
    const bytes = Array.from({ length: example.body.length }, (_, i) => example.body.subarray(i, i + 1));
    expect(decode(decoder, bytes).equals(example.payload)).toBe(true);
  });

  test('verifies the published trailer signature and hands over the checksum trailer', () => {
    const example = signedTrailerExample();
    const decoder = new AwsChunkedDecoder({ signing: signing(TRAILER_SEED), trailer: true });
    expect(decode(decoder, [example.body]).equals(example.payload)).toBe(true);
    expect(decoder.trailers).toEqual([['x-amz-checksum-crc32c', 'sOO8/Q==']]);
  });

  test('accepts the trailer framing with an empty line after the final chunk, as some clients send it', () => {
    const wire = signedTrailerExample().body.toString('latin1').replace(/(\r\n0;chunk-signature=[0-9a-f]{64}\r\n)/, '$1\r\n');
    const decoder = new AwsChunkedDecoder({ signing: signing(TRAILER_SEED), trailer: true });
    expect(decode(decoder, [Buffer.from(wire, 'latin1')]).length).toBe(66_560);
  });

  test.each([
    ['a changed data byte in the second chunk', (w: string) => w.slice(0, 65_700) + 'b' + w.slice(65_701), SEED, 'chunk 2 signature does not match'],
    ['a changed chunk signature', (w: string) => w.replace('ad80c730', 'ad80c731'), SEED, 'chunk 1 signature does not match'],
    ['chunks chained from another seed signature', (w: string) => w, TRAILER_SEED, 'chunk 1 signature does not match'],
  ])('refuses %s', (_name, change, seed, reason) => {
    const wire = Buffer.from(change(signedChunkedExample().body.toString('latin1')), 'latin1');
    const decoder = new AwsChunkedDecoder({ signing: signing(seed), trailer: false });
    expect(() => decode(decoder, [wire])).toThrow(reason);
  });

  test('refuses a changed checksum trailer because the trailer signature covers it', () => {
    const wire = signedTrailerExample().body.toString('latin1').replace('sOO8/Q==', 'sOO8/A==');
    const decoder = new AwsChunkedDecoder({ signing: signing(TRAILER_SEED), trailer: true });
    expect(() => decode(decoder, [Buffer.from(wire, 'latin1')])).toThrow('trailer signature does not match');
  });

  test('reports a body cut short as IncompleteBody', () => {
    const body = signedChunkedExample().body;
    const decoder = new AwsChunkedDecoder({ signing: signing(SEED), trailer: false });
    let error: unknown;
    try {
      decode(decoder, [body.subarray(0, 40_000)]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AwsChunkedError);
    expect((error as AwsChunkedError).code).toBe('IncompleteBody');
  });

  test('refuses a non-final chunk below 8 KiB as S3 does (InvalidChunkSizeError)', () => {
    const wire = Buffer.from('400\r\n' + 'a'.repeat(1024) + '\r\n400\r\n' + 'a'.repeat(1024) + '\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n');
    const decoder = new AwsChunkedDecoder({ trailer: true });
    expect(() => decode(decoder, [wire])).toThrow(expect.objectContaining({ code: 'InvalidChunkSizeError' }));
    const lenient = new AwsChunkedDecoder({ trailer: true, minChunkBytes: 0 });
    expect(decode(lenient, [wire]).length).toBe(2048);
    expect(lenient.trailers).toEqual([['x-amz-checksum-crc32', 'AAAAAA==']]);
  });
});
