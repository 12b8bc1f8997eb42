import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { AuditStoreError } from './store-error.js';

interface DecodedBlock {
  buf: Buffer;
  /** Byte offset of each line; one past the end is `buf.length + 1`. */
  starts: number[];
}

/** Events per block and raw bytes per block, whichever comes first (see the class comment). */
export const BLOCK_EVENTS = 32;
export const BLOCK_RAW_BYTES = 64 * 1024;
/** A decompressed block larger than this is corrupt (32 events of ≤ 64 KiB each, with room). */
const MAX_BLOCK_BYTES = 16 * 1024 * 1024;

/**
 * Events are stored zstd-compressed in blocks of up to 32, one line each.
 * Why blocks and not a compressed JSON per row: Node's one-shot zstd calls
 * cost ~16 µs each before any byte is compressed (a new stream and context
 * per call; ~40 µs with a dictionary), which alone would cap ingest below
 * 50k events/s, while one call per block costs ~0.5 µs per event. Events of
 * one batch also share most of their text (chains, hosts, ARNs, the previous
 * event's hash as `prevHash`), so a block compresses ~5× where a lone event
 * with a static dictionary did no better.
 *
 * The price is decompressing a whole block to read one event, ~0.8 GB/s
 * here. Measured at 1 M events: blocks of 64 cost 213 B/event at rest and
 * 16 ms for a search whose 100 results each sit in another block; blocks of
 * 32 cost 259 B/event and 8 ms. 32 keeps both targets with room. The LRU
 * cache serves the common case, results in time order, block after block.
 */
export class BlockCodec {
  private readonly cache = new Map<number, DecodedBlock>();
  private readonly selectBlock: StatementSync;
  private readonly compressOpts: { params: Record<number, number> };

  constructor(db: DatabaseSync, private readonly cacheBlocks: number, level: number) {
    this.selectBlock = db.prepare('SELECT data FROM blocks WHERE id = ?');
    this.compressOpts = { params: { [constants.ZSTD_c_compressionLevel]: level, [constants.ZSTD_c_checksumFlag]: 1 } };
  }

  /** The stored form of a block of lines. */
  compress(lines: readonly string[]): Uint8Array {
    return zstdCompressSync(Buffer.from(lines.join('\n')), this.compressOpts);
  }

  /** Line `pos` of block `blk`. */
  line(blk: number, pos: number): string {
    const block = this.block(blk);
    const start = block.starts[pos];
    const end = block.starts[pos + 1];
    if (start === undefined || end === undefined) throw new AuditStoreError('AUDIT_STORE_CORRUPT', `block ${blk} has no line ${pos}`);
    return block.buf.toString('utf8', start, end - 1);
  }

  /** Drops cached blocks (after retention removed some). */
  forget(): void {
    this.cache.clear();
  }

  private block(blk: number): DecodedBlock {
    const hit = this.cache.get(blk);
    if (hit !== undefined) {
      this.cache.delete(blk); // re-insert: Map order is the LRU order
      this.cache.set(blk, hit);
      return hit;
    }
    const row = this.selectBlock.get(blk) as { data: Uint8Array } | undefined;
    if (row === undefined) throw new AuditStoreError('AUDIT_STORE_CORRUPT', `block ${blk} is missing`);
    let buf: Buffer;
    try {
      buf = zstdDecompressSync(row.data, { maxOutputLength: MAX_BLOCK_BYTES, chunkSize: 256 * 1024 });
    } catch (cause) {
      throw new AuditStoreError('AUDIT_STORE_CORRUPT', `block ${blk} cannot be decompressed`, { cause });
    }
    const starts = [0];
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) starts.push(i + 1);
    starts.push(buf.length + 1);
    const block = { buf, starts };
    this.cache.set(blk, block);
    if (this.cache.size > this.cacheBlocks) this.cache.delete(this.cache.keys().next().value as number);
    return block;
  }
}
