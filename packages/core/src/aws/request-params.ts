/**
 * Request parameters read from a buffered body, parsed only when a resource
 * deriver asks (most calls need one or two fields, some none).
 */
export interface RequestParams {
  /** Every string value of a top-level parameter (a query form may repeat a key). */
  all(name: string): string[];
  /** The string value of a top-level parameter, if it has exactly one. */
  one(name: string): string | undefined;
  /**
   * The string members of a list parameter: a JSON array, or the query forms
   * `Name.N` / `Name.member.N` (EC2 `InstanceId.1`, IAM `PolicyArns.member.1`).
   */
  list(name: string): string[];
  /** The parsed JSON body (objects, arrays …), undefined for forms or bad JSON. */
  json(): unknown;
  /** Top-level parameter names. */
  names(): string[];
}

// Bodies above this are not parsed for resources: JSON.parse of a multi-megabyte
// PutItem on the hot path costs more than the ARN is worth.
const MAX_PARSE_BYTES = 1 << 20;
const DIGITS = /^\d+$/;
const PLUS = /\+/g;

const EMPTY: RequestParams = {
  all: () => [],
  one: () => undefined,
  list: () => [],
  json: () => undefined,
  names: () => [],
};

/** Parameters of a JSON body (JSON, CBOR-less RPC and REST-JSON protocols). */
export function jsonParams(body: Buffer | undefined): RequestParams {
  if (body === undefined || body.length === 0 || body.length > MAX_PARSE_BYTES) return EMPTY;
  let parsed: unknown;
  let done = false;
  const obj = (): Record<string, unknown> | undefined => {
    if (!done) {
      done = true;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        parsed = undefined;
      }
    }
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  };
  return {
    all(name) {
      const v = obj()?.[name];
      return typeof v === 'string' ? [v] : [];
    },
    one(name) {
      const v = obj()?.[name];
      return typeof v === 'string' ? v : undefined;
    },
    list(name) {
      const v = obj()?.[name];
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    },
    json: () => obj(),
    names: () => Object.keys(obj() ?? {}),
  };
}

/**
 * Parameters of a query-protocol request: the `application/x-www-form-urlencoded`
 * body merged after the URL query (presigned / GET forms put them there).
 */
export function formParams(query: ReadonlyArray<readonly [string, string]>, form: Map<string, string[]> | undefined): RequestParams {
  let merged: Map<string, string[]> | undefined;
  const map = (): Map<string, string[]> => {
    if (merged === undefined) {
      merged = new Map();
      for (const [k, v] of query) add(merged, k, v);
      if (form !== undefined) for (const [k, vs] of form) for (const v of vs) add(merged, k, v);
    }
    return merged;
  };
  return {
    all: (name) => map().get(name) ?? [],
    one(name) {
      const vs = map().get(name);
      return vs !== undefined && vs.length === 1 ? vs[0] : undefined;
    },
    list(name) {
      const out: Array<[number, string]> = [];
      const plain = `${name}.`;
      const member = `${name}.member.`;
      for (const [k, vs] of map()) {
        const rest = k.startsWith(member) ? k.slice(member.length) : k.startsWith(plain) ? k.slice(plain.length) : undefined;
        if (rest === undefined || !DIGITS.test(rest)) continue;
        for (const v of vs) out.push([Number(rest), v]);
      }
      return out.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
    },
    json: () => undefined,
    names: () => [...map().keys()],
  };
}

function add(map: Map<string, string[]>, k: string, v: string): void {
  const list = map.get(k);
  if (list === undefined) map.set(k, [v]);
  else list.push(v);
}

/**
 * Parses an `application/x-www-form-urlencoded` body. Never throws: a malformed
 * escape keeps its raw text. Returns undefined for bodies over the parse limit.
 */
export function parseForm(body: Buffer): Map<string, string[]> | undefined {
  if (body.length > MAX_PARSE_BYTES) return undefined;
  const out = new Map<string, string[]>();
  const text = body.toString('utf8');
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('&', start);
    if (end === -1) end = text.length;
    if (end > start) {
      const pair = text.slice(start, end);
      const eq = pair.indexOf('=');
      const k = decodeForm(eq === -1 ? pair : pair.slice(0, eq));
      const v = eq === -1 ? '' : decodeForm(pair.slice(eq + 1));
      add(out, k, v);
    }
    start = end + 1;
  }
  return out;
}

function decodeForm(s: string): string {
  const plus = s.includes('+') ? s.replace(PLUS, ' ') : s;
  if (!plus.includes('%')) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

/** No parameters (streamed bodies, XML bodies). */
export const NO_PARAMS: RequestParams = EMPTY;
