import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * ULIDs (https://github.com/ulid/spec): 48-bit millisecond time + 80 random
 * bits, Crockford base32, so ids sort by creation time. Monotonic within a
 * millisecond (the random part is incremented), which keeps one process's
 * ids strictly increasing.
 */
export class UlidFactory {
  private lastTime = -1;
  private readonly rand = new Uint8Array(10);
  /** Random bytes drawn 4 KiB at a time: one call per id cost ~8 % of recording an event. */
  private readonly pool = new Uint8Array(4096);
  private poolAt = this.pool.length;

  constructor(private readonly now: () => number = Date.now) {}

  next(): string {
    let t = this.now();
    if (t <= this.lastTime) {
      t = this.lastTime;
      increment(this.rand);
    } else {
      this.lastTime = t;
      if (this.poolAt + 10 > this.pool.length) {
        randomFillSync(this.pool);
        this.poolAt = 0;
      }
      this.rand.set(this.pool.subarray(this.poolAt, this.poolAt + 10));
      this.poolAt += 10;
    }
    let time = '';
    for (let i = 0; i < 10; i++) {
      time = ALPHABET[t % 32] + time;
      t = Math.floor(t / 32);
    }
    // 80 bits → 16 base32 digits, read 5 bits at a time.
    let out = '';
    let acc = 0;
    let bits = 0;
    for (const byte of this.rand) {
      acc = (acc << 8) | byte;
      bits += 8;
      while (bits >= 5) {
        bits -= 5;
        out += ALPHABET[(acc >> bits) & 31];
      }
      acc &= (1 << bits) - 1;
    }
    return time + out;
  }
}

function increment(bytes: Uint8Array): void {
  for (let i = bytes.length - 1; i >= 0; i--) {
    if ((bytes[i] as number) < 255) { bytes[i] = (bytes[i] as number) + 1; return; }
    bytes[i] = 0;
  }
}

/** Milliseconds since the epoch encoded in a ULID. */
export function ulidTime(id: string): number {
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + ALPHABET.indexOf(id[i] as string);
  return t;
}
