/**
 * A streaming decoder for S3's `aws-chunked` bodies: signed chunks
 * (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, every chunk signature chained from the
 * request's seed signature), the signed-trailer variant, and unsigned chunks with
 * a trailer (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`).
 *
 * Wire format (AWS S3 API reference, "Transferring Payload in Multiple Chunks" and
 * "Including Trailing Headers"):
 *
 * ```
 * <hex size>[;chunk-signature=<sig>]\r\n<data>\r\n   … repeated
 * 0[;chunk-signature=<sig>]\r\n
 * [<name>:<value>\r\n … x-amz-trailer-signature:<sig>\r\n]   (trailer modes)
 * \r\n
 * ```
 *
 * Bytes arrive in arbitrary pieces; nothing but one header line is ever buffered.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { EMPTY_SHA256, chunkSignature, signaturesEqual, trailerSignature } from './canonical.js';

/** What signed chunks are verified with. */
export interface ChunkSigning {
  key: Buffer;
  amzDate: string;
  scope: string;
  /** The request's own (seed) signature: the first chunk's "previous" signature. */
  seedSignature: string;
}

/** Decoder settings. */
export interface AwsChunkedOptions {
  /** Verify chunk (and trailer) signatures with this; absent for unsigned chunks. */
  signing?: ChunkSigning;
  /** Whether trailing headers follow the final chunk (the `*-TRAILER` modes). */
  trailer: boolean;
  /**
   * S3 refuses a chunk below 8 KiB unless it is the last one with data
   * (`InvalidChunkSizeError`); 0 turns the check off.
   */
  minChunkBytes?: number;
}

/** A body S3 would refuse, with the error code and status it would answer. */
export class AwsChunkedError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'AwsChunkedError';
  }
}

/** Header and trailer lines are short; a longer one means the framing is broken. */
const MAX_LINE_BYTES = 4096;
const HEX64 = /^[0-9a-f]{64}$/i;

type State = 'header' | 'data' | 'data-crlf' | 'final-line' | 'trailer' | 'done';

/**
 * Push-based aws-chunked decoder.
 *
 * @example
 * const decoder = new AwsChunkedDecoder({ trailer: false, signing });
 * for await (const piece of req) for (const data of decoder.push(piece)) sink.write(data);
 * decoder.end(); // throws AwsChunkedError when the body was cut short
 */
export class AwsChunkedDecoder {
  /** Chunks seen, the final zero-length one included. */
  chunks = 0;
  /** Decoded payload bytes so far. */
  decodedBytes = 0;
  /** Trailing headers (lower-case names), the trailer signature excluded. */
  readonly trailers: Array<[string, string]> = [];

  private state: State = 'header';
  private line: Buffer[] = [];
  private lineBytes = 0;
  private remaining = 0;
  private crlfSeen = 0;
  private chunkHash: Hash | undefined;
  private chunkClaim = '';
  private previousSignature: string;
  private lastChunkSize = -1;
  private skippedBlankBeforeTrailer = false;
  private trailerClaim: string | undefined;
  private readonly minChunkBytes: number;

  constructor(private readonly options: AwsChunkedOptions) {
    this.previousSignature = options.signing?.seedSignature ?? '';
    this.minChunkBytes = options.minChunkBytes ?? 8192;
  }

  /** Feeds wire bytes; returns the decoded payload pieces they contained (views, not copies). */
  push(input: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    while (i < input.length) {
      switch (this.state) {
        case 'data': {
          const take = Math.min(this.remaining, input.length - i);
          const piece = input.subarray(i, i + take);
          this.chunkHash?.update(piece);
          out.push(piece);
          this.decodedBytes += take;
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) {
            this.verifyChunk(this.chunkHash?.digest('hex') ?? EMPTY_SHA256);
            this.state = 'data-crlf';
            this.crlfSeen = 0;
          }
          break;
        }
        case 'data-crlf': {
          const expected = this.crlfSeen === 0 ? 0x0d : 0x0a;
          if (input[i] !== expected) throw this.malformed('chunk data is not followed by CRLF');
          i++;
          if (++this.crlfSeen === 2) this.state = 'header';
          break;
        }
        case 'done':
          throw this.malformed('bytes after the end of the aws-chunked body');
        default: {
          const newline = input.indexOf(0x0a, i);
          const end = newline < 0 ? input.length : newline + 1;
          this.lineBytes += end - i;
          if (this.lineBytes > MAX_LINE_BYTES) throw this.malformed('aws-chunked header line too long');
          this.line.push(input.subarray(i, end));
          i = end;
          if (newline >= 0) this.onLine(this.takeLine());
        }
      }
    }
    return out;
  }

  /** Declares the body complete; throws when it stopped before the terminating line. */
  end(): void {
    if (this.state === 'trailer' && this.trailers.length + (this.trailerClaim === undefined ? 0 : 1) > 0 && this.lineBytes === 0) {
      // Some clients end the trailer without the final empty line; S3 accepts that.
      this.finishTrailer();
    }
    if (this.state !== 'done') {
      throw new AwsChunkedError('IncompleteBody', 400, `aws-chunked body ended early (in ${this.state}, after ${this.chunks} chunks)`);
    }
  }

  private takeLine(): string {
    const text = Buffer.concat(this.line).toString('latin1');
    this.line = [];
    this.lineBytes = 0;
    if (!text.endsWith('\r\n')) throw this.malformed(`line not terminated by CRLF: ${JSON.stringify(text.slice(0, 80))}`);
    return text.slice(0, -2);
  }

  private onLine(text: string): void {
    if (this.state === 'header') this.onChunkHeader(text);
    else if (this.state === 'final-line') {
      if (text !== '') throw this.malformed(`expected the empty line after the final chunk, got ${JSON.stringify(text.slice(0, 80))}`);
      this.state = 'done';
    } else this.onTrailerLine(text);
  }

  private onChunkHeader(text: string): void {
    const [sizeHex = '', ...extensions] = text.split(';');
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeHex)) throw this.malformed(`bad chunk size ${JSON.stringify(sizeHex)}`);
    const size = Number.parseInt(sizeHex, 16);
    let claim: string | undefined;
    for (const extension of extensions) {
      const [name, value] = extension.split('=', 2);
      if (name?.trim() === 'chunk-signature') claim = value?.trim();
    }
    if (this.options.signing !== undefined && (claim === undefined || !HEX64.test(claim))) {
      throw new AwsChunkedError('SignatureDoesNotMatch', 403, `chunk ${this.chunks + 1} carries no valid chunk-signature`);
    }
    if (size > 0 && this.lastChunkSize > 0 && this.lastChunkSize < this.minChunkBytes) {
      throw new AwsChunkedError(
        'InvalidChunkSizeError',
        403,
        `chunk ${this.chunks} has ${this.lastChunkSize} bytes; only the last chunk may be smaller than ${this.minChunkBytes}`,
      );
    }
    this.chunks++;
    this.lastChunkSize = size;
    this.chunkClaim = claim ?? '';
    if (size > 0) {
      this.remaining = size;
      this.chunkHash = this.options.signing === undefined ? undefined : createHash('sha256');
      this.state = 'data';
      return;
    }
    this.verifyChunk(EMPTY_SHA256);
    this.state = this.options.trailer ? 'trailer' : 'final-line';
  }

  private verifyChunk(dataSha256: string): void {
    const signing = this.options.signing;
    if (signing === undefined) return;
    const expected = chunkSignature(signing.key, signing.amzDate, signing.scope, this.previousSignature, dataSha256);
    if (!signaturesEqual(expected, this.chunkClaim)) {
      throw new AwsChunkedError('SignatureDoesNotMatch', 403, `chunk ${this.chunks} signature does not match`);
    }
    this.previousSignature = expected;
  }

  private onTrailerLine(text: string): void {
    if (text === '') {
      const seen = this.trailers.length > 0 || this.trailerClaim !== undefined;
      if (!seen && !this.skippedBlankBeforeTrailer) {
        // Tolerates `0;chunk-signature=…\r\n\r\n<trailers>`, which some clients send.
        this.skippedBlankBeforeTrailer = true;
        return;
      }
      this.finishTrailer();
      return;
    }
    const colon = text.indexOf(':');
    if (colon <= 0) throw this.malformed(`bad trailing header ${JSON.stringify(text.slice(0, 80))}`);
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') this.trailerClaim = value;
    else this.trailers.push([name, value]);
  }

  private finishTrailer(): void {
    if (this.trailers.length === 0) throw this.malformed('the trailing headers the request announced are missing');
    const signing = this.options.signing;
    if (signing !== undefined) {
      if (this.trailerClaim === undefined) {
        throw new AwsChunkedError('SignatureDoesNotMatch', 403, 'trailer carries no x-amz-trailer-signature');
      }
      const canonical = this.trailers.map(([name, value]) => `${name}:${value}\n`).join('');
      const expected = trailerSignature(signing.key, signing.amzDate, signing.scope, this.previousSignature, canonical);
      if (!signaturesEqual(expected, this.trailerClaim)) {
        throw new AwsChunkedError('SignatureDoesNotMatch', 403, 'trailer signature does not match');
      }
    }
    this.state = 'done';
  }

  private malformed(message: string): AwsChunkedError {
    return new AwsChunkedError('IncompleteBody', 400, message);
  }
}
