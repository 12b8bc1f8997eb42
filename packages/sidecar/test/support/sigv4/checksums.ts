/**
 * The S3 flexible checksums (`x-amz-checksum-*`, as header or trailer) and
 * Content-MD5, computed incrementally over a streamed body.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** An incremental checksum whose digest is base64 of the big-endian value, as S3 sends it. */
export interface Checksum {
  update(data: Buffer): void;
  digestBase64(): string;
}

class Crc32 implements Checksum {
  private value = 0;
  update(data: Buffer): void {
    this.value = crc32(data, this.value);
  }
  digestBase64(): string {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.value >>> 0);
    return out.toString('base64');
  }
}

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78); node:zlib only has CRC-32. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

class Crc32c implements Checksum {
  private crc = 0xffffffff;
  update(data: Buffer): void {
    let crc = this.crc;
    for (let i = 0; i < data.length; i++) crc = (CRC32C_TABLE[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
    this.crc = crc;
  }
  digestBase64(): string {
    const out = Buffer.alloc(4);
    out.writeUInt32BE((this.crc ^ 0xffffffff) >>> 0);
    return out.toString('base64');
  }
}

/**
 * CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5, init and xor-out all
 * ones), the S3 default of newer SDKs. Kept as two 32-bit halves: BigInt per
 * byte would make a 100 MB upload take minutes.
 */
const CRC64_TABLE = (() => {
  const hi = new Uint32Array(256);
  const lo = new Uint32Array(256);
  const polyHi = 0x9a6c9329;
  const polyLo = 0xac4bc9b5;
  for (let n = 0; n < 256; n++) {
    let h = 0;
    let l = n;
    for (let k = 0; k < 8; k++) {
      const lsb = l & 1;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h = h >>> 1;
      if (lsb) {
        h = (h ^ polyHi) >>> 0;
        l = (l ^ polyLo) >>> 0;
      }
    }
    hi[n] = h;
    lo[n] = l;
  }
  return { hi, lo };
})();

class Crc64Nvme implements Checksum {
  private hi = 0xffffffff;
  private lo = 0xffffffff;
  update(data: Buffer): void {
    let { hi, lo } = this;
    const th = CRC64_TABLE.hi;
    const tl = CRC64_TABLE.lo;
    for (let i = 0; i < data.length; i++) {
      const idx = (lo ^ (data[i] as number)) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ (tl[idx] as number)) >>> 0;
      hi = ((hi >>> 8) ^ (th[idx] as number)) >>> 0;
    }
    this.hi = hi;
    this.lo = lo;
  }
  digestBase64(): string {
    const out = Buffer.alloc(8);
    out.writeUInt32BE((this.hi ^ 0xffffffff) >>> 0, 0);
    out.writeUInt32BE((this.lo ^ 0xffffffff) >>> 0, 4);
    return out.toString('base64');
  }
}

class NodeDigest implements Checksum {
  private readonly hash;
  constructor(algorithm: 'sha1' | 'sha256' | 'md5') {
    this.hash = createHash(algorithm);
  }
  update(data: Buffer): void {
    this.hash.update(data);
  }
  digestBase64(): string {
    return this.hash.digest('base64');
  }
}

/** Algorithms by the header that carries them. */
const ALGORITHMS: Record<string, () => Checksum> = {
  'x-amz-checksum-crc32': () => new Crc32(),
  'x-amz-checksum-crc32c': () => new Crc32c(),
  'x-amz-checksum-crc64nvme': () => new Crc64Nvme(),
  'x-amz-checksum-sha1': () => new NodeDigest('sha1'),
  'x-amz-checksum-sha256': () => new NodeDigest('sha256'),
  'content-md5': () => new NodeDigest('md5'),
};

/**
 * A checksum for the header (or trailer) name that carries it, e.g.
 * `x-amz-checksum-crc32c`; undefined for one this peer cannot compute.
 */
export function checksumFor(headerName: string): Checksum | undefined {
  return ALGORITHMS[headerName.toLowerCase()]?.();
}

/** Header names this peer can verify. */
export const CHECKSUM_HEADERS: readonly string[] = Object.keys(ALGORITHMS);
