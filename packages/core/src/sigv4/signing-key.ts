import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/**
 * Derives SigV4 signing keys (four chained HMACs) and caches them: a key is
 * valid for one (secret, date, region, service) and the same few combinations
 * recur on every call, so the derivation would otherwise dominate verification.
 * The cache is bounded; it is cleared whole when full (the working set is tiny).
 */
export class SigningKeyCache {
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly maxEntries = 4096) {}

  get(secretAccessKey: string, date: string, region: string, service: string): Buffer {
    const id = `${secretAccessKey}\0${date}\0${region}\0${service}`;
    let key = this.keys.get(id);
    if (key === undefined) {
      key = deriveSigningKey(secretAccessKey, date, region, service);
      if (this.keys.size >= this.maxEntries) this.keys.clear();
      this.keys.set(id, key);
    }
    return key;
  }
}

/** SigV4 task 3: kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request"). */
export function deriveSigningKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = hmac(`AWS4${secretAccessKey}`, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  return hmac(kService, 'aws4_request');
}

export function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/**
 * KeyObjects of the signing keys in use, keyed weakly by the key Buffer.
 * createHmac re-validates a Buffer key on every call (~15 µs in Node 24, six
 * times the HMAC itself); a KeyObject skips that. Signing keys come from
 * SigningKeyCache, so the same few Buffers recur on every call.
 */
const keyObjects = new WeakMap<Buffer, KeyObject>();

export function hmacHex(key: Buffer, data: string): string {
  let k = keyObjects.get(key);
  if (k === undefined) {
    k = createSecretKey(key);
    keyObjects.set(key, k);
  }
  return createHmac('sha256', k).update(data, 'utf8').digest('hex');
}
