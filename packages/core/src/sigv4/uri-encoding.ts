/**
 * URI encoding exactly as SigV4 canonicalisation defines it: every byte except
 * the unreserved characters `A-Z a-z 0-9 - _ . ~` becomes `%XX` with upper-case
 * hex. `encodeURIComponent` leaves `!'()*` alone, which SigV4 does not.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
export function awsUriEncode(value: string, encodeSlash = true): string {
  let out = encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  if (!encodeSlash) out = out.replace(/%2F/g, '/');
  return out;
}

/**
 * Decodes a percent-encoded query component without treating `+` as a space
 * (SigV4 canonicalises the bytes the client sent; AWS SDKs always encode spaces
 * as `%20`). Malformed escapes are kept literally rather than throwing.
 */
export function decodeQueryComponent(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

/** Splits a raw query string into decoded `[name, value]` pairs, in wire order. */
export function parseQuery(rawQuery: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (rawQuery === '') return pairs;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    pairs.push([decodeQueryComponent(name), decodeQueryComponent(value)]);
  }
  return pairs;
}
