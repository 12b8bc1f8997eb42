import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { EMPTY_SHA256, sha256Hex } from './canonical-request.js';
import { hmacHex } from './signing-key.js';
import { SigV4Error } from './sigv4-error.js';

/** Payload markers of the aws-chunked content encoding (x-amz-content-sha256 values). */
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

/** One side's chunk-signing state: the seed signature and the key that made it. */
export interface ChunkSigningContext {
  seedSignature: string;
  signingKey: Buffer;
  amzDate: string;
  scope: string;
}

export interface AwsChunkedOptions {
  /** Which aws-chunked variant the caller declared. */
  payload: typeof STREAMING_SIGNED | typeof STREAMING_SIGNED_TRAILER | typeof STREAMING_UNSIGNED_TRAILER;
  /** Signed variants: the caller's context, to verify each chunk signature. */
  caller?: ChunkSigningContext;
  /** Signed variants: the upstream request's context, to sign each chunk anew. */
  upstream?: ChunkSigningContext;
  /** x-amz-decoded-content-length, checked against the decoded data length. */
  decodedLength?: number;
  /** Largest chunk accepted. A signed chunk is held whole to re-sign it. */
  maxChunkBytes: number;
}

const CRLF = Buffer.from('\r\n');
const MAX_LINE = 4096;
const MAX_TRAILER_BYTES = 16 * 1024;
const SIG_EXT = ';chunk-signature=';

type State = 'header' | 'data' | 'data-crlf' | 'trailer' | 'done';

/**
 * Re-frames an aws-chunked body on its way upstream, streaming: for signed
 * variants every chunk's signature is verified against the caller's seed
 * signature and replaced by one chained from the upstream seed; the
 * unsigned-trailer variant is passed through with its framing checked. Chunk
 * sizes are kept, so Content-Length and x-amz-decoded-content-length stay
 * valid. The final chunk is released only once every signature and the decoded
 * length have checked out, so upstream never completes a forged or short upload.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
export class AwsChunkedResigner extends Transform {
  private readonly signed: boolean;
  private state: State = 'header';
  private line: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private sizeText = '';
  private callerSignature = '';
  private callerPrev: string;
  private upstreamPrev: string;
  private pieces: Buffer[] = [];
  private hash = createHash('sha256');
  private decoded = 0;
  private trailerLines: string[] = [];
  private trailerBytes = 0;

  constructor(private readonly opts: AwsChunkedOptions) {
    super();
    this.signed = opts.payload !== STREAMING_UNSIGNED_TRAILER;
    if (this.signed && (opts.caller === undefined || opts.upstream === undefined)) {
      throw new TypeError('signed aws-chunked payloads need caller and upstream signing contexts');
    }
    this.callerPrev = opts.caller?.seedSignature ?? '';
    this.upstreamPrev = opts.upstream?.seedSignature ?? '';
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.consume(chunk);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    if (this.state !== 'done') {
      cb(new SigV4Error('IncompleteBody', 'The aws-chunked request body ended before its final chunk.'));
      return;
    }
    cb();
  }

  private consume(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) {
      switch (this.state) {
        case 'header':
        case 'trailer': {
          const nl = buf.indexOf(0x0a, off);
          const end = nl === -1 ? buf.length : nl + 1;
          this.line = this.line.length === 0 ? buf.subarray(off, end) : Buffer.concat([this.line, buf.subarray(off, end)]);
          off = end;
          if (this.line.length > MAX_LINE) throw new SigV4Error('IncompleteBody', 'aws-chunked framing line too long.');
          if (nl === -1) break;
          const text = this.line.toString('latin1');
          this.line = Buffer.alloc(0);
          if (!text.endsWith('\r\n')) throw new SigV4Error('IncompleteBody', 'aws-chunked framing lines must end with CRLF.');
          if (this.state === 'header') this.onChunkHeader(text.slice(0, -2));
          else this.onTrailerLine(text.slice(0, -2));
          break;
        }
        case 'data': {
          const take = Math.min(this.remaining, buf.length - off);
          const piece = buf.subarray(off, off + take);
          off += take;
          this.remaining -= take;
          if (this.signed) {
            this.hash.update(piece);
            this.pieces.push(piece);
          } else {
            this.push(piece);
          }
          if (this.remaining === 0) this.state = 'data-crlf';
          break;
        }
        case 'data-crlf': {
          // The CRLF after chunk data may itself arrive split across reads.
          this.line = this.line.length === 0 ? buf.subarray(off, off + 1) : Buffer.concat([this.line, buf.subarray(off, off + 1)]);
          off += 1;
          if (this.line.length < 2) break;
          if (!this.line.equals(CRLF)) throw new SigV4Error('IncompleteBody', 'aws-chunked chunk data is not followed by CRLF.');
          this.line = Buffer.alloc(0);
          this.onChunkData();
          this.state = 'header';
          break;
        }
        case 'done':
          throw new SigV4Error('IncompleteBody', 'Unexpected bytes after the end of the aws-chunked body.');
      }
    }
  }

  private onChunkHeader(text: string): void {
    let sizeText = text;
    if (this.signed) {
      const ext = text.indexOf(SIG_EXT);
      if (ext === -1) throw new SigV4Error('IncompleteBody', 'aws-chunked chunk header lacks its chunk-signature.');
      sizeText = text.slice(0, ext);
      this.callerSignature = text.slice(ext + SIG_EXT.length);
      if (!/^[0-9a-f]{64}$/.test(this.callerSignature)) throw new SigV4Error('SignatureMismatch', 'Malformed chunk signature.');
    }
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new SigV4Error('IncompleteBody', 'Malformed aws-chunked chunk size.');
    const size = parseInt(sizeText, 16);
    if (size > this.opts.maxChunkBytes) {
      throw new SigV4Error('IncompleteBody', `aws-chunked chunk of ${size} bytes exceeds the ${this.opts.maxChunkBytes}-byte limit.`);
    }
    this.sizeText = sizeText;
    this.remaining = size;
    this.decoded += size;
    if (size === 0) {
      this.state = 'trailer';
      return;
    }
    if (!this.signed) this.push(Buffer.from(`${sizeText}\r\n`, 'latin1'));
    this.state = 'data';
  }

  /** A complete chunk's data has arrived (signed mode holds it until now). */
  private onChunkData(): void {
    if (!this.signed) {
      this.push(CRLF);
      return;
    }
    const dataHash = this.hash.digest('hex');
    this.hash = createHash('sha256');
    const sig = this.resign(dataHash);
    this.push(Buffer.from(`${this.sizeText}${SIG_EXT}${sig}\r\n`, 'latin1'));
    for (const p of this.pieces) this.push(p);
    this.pieces = [];
    this.push(CRLF);
  }

  /** Verifies the caller's signature of a chunk and returns the upstream one. */
  private resign(dataHash: string): string {
    const caller = this.opts.caller as ChunkSigningContext;
    const upstream = this.opts.upstream as ChunkSigningContext;
    const expected = hmacHex(caller.signingKey, chunkStringToSign(caller, this.callerPrev, dataHash));
    if (expected !== this.callerSignature) {
      throw new SigV4Error('SignatureMismatch', 'The chunk signature we calculated does not match the signature you provided.');
    }
    this.callerPrev = expected;
    this.upstreamPrev = hmacHex(upstream.signingKey, chunkStringToSign(upstream, this.upstreamPrev, dataHash));
    return this.upstreamPrev;
  }

  private onTrailerLine(text: string): void {
    this.trailerBytes += text.length + 2;
    if (this.trailerBytes > MAX_TRAILER_BYTES) throw new SigV4Error('IncompleteBody', 'aws-chunked trailer too large.');
    if (text !== '') {
      this.trailerLines.push(text);
      return;
    }
    this.finish();
  }

  /** The blank line after the final chunk (and trailers) ends the body. */
  private finish(): void {
    if (this.opts.decodedLength !== undefined && this.decoded !== this.opts.decodedLength) {
      throw new SigV4Error('IncompleteBody', `x-amz-decoded-content-length is ${this.opts.decodedLength} but the chunks carried ${this.decoded} bytes.`);
    }
    const out: string[] = [];
    if (this.opts.payload === STREAMING_UNSIGNED_TRAILER) {
      out.push(`${this.sizeText}\r\n`, ...this.trailerLines.map((l) => `${l}\r\n`));
    } else {
      const finalSig = this.resign(EMPTY_SHA256);
      out.push(`${this.sizeText}${SIG_EXT}${finalSig}\r\n`);
      if (this.opts.payload === STREAMING_SIGNED_TRAILER) out.push(...this.resignTrailer());
      else if (this.trailerLines.length > 0) throw new SigV4Error('IncompleteBody', 'Trailing headers need a -TRAILER payload.');
    }
    out.push('\r\n');
    this.state = 'done';
    this.push(Buffer.from(out.join(''), 'latin1'));
  }

  private resignTrailer(): string[] {
    const headers: Array<[string, string]> = [];
    let callerSig: string | undefined;
    for (const line of this.trailerLines) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new SigV4Error('IncompleteBody', 'Malformed aws-chunked trailing header.');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'x-amz-trailer-signature') callerSig = value;
      else headers.push([name, value]);
    }
    if (callerSig === undefined) throw new SigV4Error('SignatureMismatch', 'The trailing headers lack x-amz-trailer-signature.');
    headers.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const canonical = headers.map(([n, v]) => `${n}:${v}\n`).join('');
    const hash = sha256Hex(canonical);
    const caller = this.opts.caller as ChunkSigningContext;
    const upstream = this.opts.upstream as ChunkSigningContext;
    const expected = hmacHex(caller.signingKey, trailerStringToSign(caller, this.callerPrev, hash));
    if (expected !== callerSig) {
      throw new SigV4Error('SignatureMismatch', 'The trailer signature we calculated does not match the signature you provided.');
    }
    const ours = hmacHex(upstream.signingKey, trailerStringToSign(upstream, this.upstreamPrev, hash));
    return [...headers.map(([n, v]) => `${n}:${v}\r\n`), `x-amz-trailer-signature:${ours}\r\n`];
  }
}

function chunkStringToSign(ctx: ChunkSigningContext, prev: string, dataHash: string): string {
  return `AWS4-HMAC-SHA256-PAYLOAD\n${ctx.amzDate}\n${ctx.scope}\n${prev}\n${EMPTY_SHA256}\n${dataHash}`;
}

function trailerStringToSign(ctx: ChunkSigningContext, prev: string, trailerHash: string): string {
  return `AWS4-HMAC-SHA256-TRAILER\n${ctx.amzDate}\n${ctx.scope}\n${prev}\n${trailerHash}`;
}

/** Signs one chunk the way a client does (used by tests and the benchmark's client). */
export function signChunk(ctx: ChunkSigningContext, prevSignature: string, data: Buffer): string {
  return hmacHex(ctx.signingKey, chunkStringToSign(ctx, prevSignature, sha256Hex(data)));
}
