/**
 * RFC 8785 JSON Canonicalization Scheme: object members sorted by their
 * UTF-16 code units, no whitespace, numbers in ECMAScript shortest form
 * (what `JSON.stringify` already produces for finite numbers), strings escaped
 * as `JSON.stringify` does (RFC 8785 §3.2.2.2 adopts exactly that). `undefined`
 * members are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonical JSON has no form for NaN or Infinity');
    if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') throw new TypeError(`canonical JSON has no form for ${typeof value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  }
  const keys = Object.keys(value).sort(); // default sort compares UTF-16 code units, as RFC 8785 requires
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}
