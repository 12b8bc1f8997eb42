import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { SigV4Error } from './sigv4-error.js';

/**
 * Passes a body through while hashing it, and holds back the last piece until
 * the end: only if the SHA-256 equals the one the caller signed
 * (x-amz-content-sha256) and the length equals Content-Length is the last piece
 * released. Otherwise the stream fails, so the upstream request is aborted
 * before it completes. Memory stays at one network read.
 */
export class PayloadHashVerifier extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private held: Buffer | undefined;
  private bytes = 0;

  constructor(
    private readonly expectedSha256: string,
    private readonly expectedLength?: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.held !== undefined) this.push(this.held);
    this.held = chunk;
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.expectedLength !== undefined && this.bytes !== this.expectedLength) {
      cb(new SigV4Error('IncompleteBody', `The request body has ${this.bytes} bytes; Content-Length said ${this.expectedLength}.`));
      return;
    }
    if (this.hash.digest('hex') !== this.expectedSha256) {
      cb(new SigV4Error('PayloadHashMismatch', 'The provided \'x-amz-content-sha256\' header does not match what was computed.'));
      return;
    }
    if (this.held !== undefined) this.push(this.held);
    cb();
  }
}
