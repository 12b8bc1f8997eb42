/**
 * RFC 8785 JSON Canonicalization Scheme: object members sorted by their
 * UTF-16 code units, no whitespace, numbers in ECMAScript shortest form
 * (what `JSON.stringify` already produces for finite numbers), strings escaped
 * as `JSON.stringify` does (RFC 8785 §3.2.2.2 adopts exactly that). `undefined`
 * members are left out, as JSON.stringify does.
 *
 * Fast path: copy the value with its keys inserted in sorted order and let
 * V8's JSON.stringify (native, several times faster than building the string
 * here) write it. V8 orders array-index keys ("0", "12") numerically before
 * all others whatever the insertion order, which is not RFC 8785's order, so
 * a value with such a key takes the slow path that writes every member itself.
 */
export function canonicalJson(value: unknown): string {
  const sorted = sortedCopy(value);
  return sorted === INDEX_KEY ? slowCanonicalJson(value) : JSON.stringify(sorted);
}

const INDEX_KEY = Symbol('array-index key');
const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/;

function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') {
    check(value);
    return value;
  }
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = sortedCopy(value[i]);
      if (v === INDEX_KEY) return INDEX_KEY;
      out[i] = v;
    }
    return out;
  }
  const keys = Object.keys(value).sort(); // default sort compares UTF-16 code units, as RFC 8785 requires
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (ARRAY_INDEX.test(k) && Number(k) < 4294967295) return INDEX_KEY;
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined) continue;
    const c = sortedCopy(v);
    if (c === INDEX_KEY) return INDEX_KEY;
    out[k] = c;
  }
  return out;
}

function check(value: unknown): void {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonical JSON has no form for NaN or Infinity');
  if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') throw new TypeError(`canonical JSON has no form for ${typeof value}`);
}

function slowCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    check(value);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => (v === undefined ? 'null' : slowCanonicalJson(v))).join(',')}]`;
  }
  const keys = Object.keys(value).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${slowCanonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}
