import { celEnv, isCelError, parse, plan, type CelInput } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { CelChecker, CelCheckError } from './cel-checker.js';
import { TIME_FUNCS } from './cel-time.js';
import { POLICY_VARIABLES, typeName } from './cel-types.js';
import type { PolicyRequest } from './types.js';

/** The variables bound for one call; built once per call and shared by every condition. */
export type CelBindings = Record<string, CelInput>;

/** A compiled `when`: parsed, type-checked and planned once, evaluated per call. */
export interface CelCondition {
  readonly source: string;
  /** true / false, or the error (evaluation failure, or a non-bool result); never throws. */
  evaluate(bindings: CelBindings): boolean | Error;
}

// The strings extension (`lowerAscii`, `split`, `indexOf` …) is what Kubernetes'
// CEL offers too, so expressions read the same in both places.
const ENV = celEnv({ funcs: [...strings, ...TIME_FUNCS] });
const CHECKER = new CelChecker(ENV, POLICY_VARIABLES);

/**
 * Compiles a condition; a string is the error message (with the column).
 *
 * @example
 * compileCondition("size(identity.chain) > 2")            // → CelCondition
 * compileCondition("identiy.initiator == 'a'")            // → "undeclared reference to 'identiy' … (column 1)"
 */
export function compileCondition(source: string): CelCondition | string {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (err) {
    // The parser's messages read `<input>:1:20: found …`; keep the position, drop the file name.
    return `syntax error: ${(err instanceof Error ? err.message : String(err)).replace(/^<input>:/, 'at ')}`;
  }
  try {
    const type = CHECKER.check(parsed);
    if (type.kind !== 'bool' && type.kind !== 'dyn') return `must evaluate to bool, not ${typeName(type)}`;
  } catch (err) {
    if (err instanceof CelCheckError) return err.offset === undefined ? err.message : `${err.message} (column ${err.offset + 1})`;
    return `cannot check: ${err instanceof Error ? err.message : String(err)}`;
  }
  const program = plan(ENV, parsed);
  return {
    source,
    evaluate(bindings: CelBindings): boolean | Error {
      try {
        const r = program(bindings);
        if (typeof r === 'boolean') return r;
        if (isCelError(r)) return r;
        return new Error(`condition evaluated to ${typeof r}, not bool`);
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    },
  };
}

const MAX_PARAM_DEPTH = 8;

/**
 * The CEL variables for one call. Absent optional values are '' (a condition
 * `identity.pod == 'x'` is then false instead of an error); header names
 * are lower case; params hold strings, numbers (double), bools, lists and
 * maps — anything else becomes its string form.
 */
export function celBindings(req: PolicyRequest): CelBindings {
  const { identity, aws, request } = req;
  const ms = req.time.getTime();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = String(v);
  return {
    identity: {
      initiator: identity.initiator,
      chain: identity.chain.map((a) => ({ type: a.type, name: a.name })),
      session: identity.session,
      namespace: identity.namespace ?? '',
      pod: identity.pod ?? '',
    },
    request: { method: request.method, path: request.path, headers, params: celParam(request.params ?? {}, 0) as CelInput },
    aws: { service: aws.service, operation: aws.operation, region: aws.region, resources: [...aws.resources], account: aws.account ?? '' },
    // A google.protobuf.Timestamp message, the shape CEL's timestamp type takes.
    time: { $typeName: 'google.protobuf.Timestamp', seconds: BigInt(Math.floor(ms / 1000)), nanos: (((ms % 1000) + 1000) % 1000) * 1e6 } as unknown as CelInput,
  };
}

function celParam(v: unknown, depth: number): CelInput | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v;
  if (depth >= MAX_PARAM_DEPTH) return '';
  if (Array.isArray(v)) return v.map((x) => celParam(x, depth + 1) ?? null);
  if (typeof v === 'object' && !(v instanceof Date) && !Buffer.isBuffer(v)) {
    const out: Record<string, CelInput> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const c = celParam(x, depth + 1);
      if (c !== undefined) out[k] = c;
    }
    return out;
  }
  return v instanceof Date ? v.toISOString() : String(v);
}
