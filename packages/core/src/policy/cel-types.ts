import type { CelType } from '@bufbuild/cel';

/**
 * The static types the `when` checker works with: CEL's own, plus records
 * for the policy variables. A record is a map at run time (plain objects);
 * statically it knows its fields, so `identity.initator` is an error at lint
 * time instead of a `no such key` that fails a Deny rule closed on every call.
 */
export type CheckType =
  | { kind: 'bool' | 'int' | 'uint' | 'double' | 'string' | 'bytes' | 'null' | 'timestamp' | 'duration' | 'type' | 'dyn' }
  | { kind: 'list'; elem: CheckType }
  | { kind: 'map'; key: CheckType; value: CheckType }
  | { kind: 'record'; name: string; fields: Readonly<Record<string, CheckType>> };

export const T = {
  bool: { kind: 'bool' },
  int: { kind: 'int' },
  uint: { kind: 'uint' },
  double: { kind: 'double' },
  string: { kind: 'string' },
  bytes: { kind: 'bytes' },
  null: { kind: 'null' },
  timestamp: { kind: 'timestamp' },
  duration: { kind: 'duration' },
  type: { kind: 'type' },
  dyn: { kind: 'dyn' },
} as const satisfies Record<string, CheckType>;

const list = (elem: CheckType): CheckType => ({ kind: 'list', elem });
const map = (key: CheckType, value: CheckType): CheckType => ({ kind: 'map', key, value });

const ACTOR: CheckType = { kind: 'record', name: 'actor', fields: { type: T.string, name: T.string } };

/**
 * The variables a `when` condition sees (docs/policy.md lists them). Absent
 * optional values are bound as '' so conditions compare without `has()`.
 */
export const POLICY_VARIABLES: Readonly<Record<string, CheckType>> = {
  identity: {
    kind: 'record',
    name: 'identity',
    fields: { initiator: T.string, chain: list(ACTOR), session: T.string, namespace: T.string, pod: T.string },
  },
  request: {
    kind: 'record',
    name: 'request',
    fields: { method: T.string, path: T.string, headers: map(T.string, T.string), params: map(T.string, T.dyn) },
  },
  aws: {
    kind: 'record',
    name: 'aws',
    fields: { service: T.string, operation: T.string, region: T.string, resources: list(T.string), account: T.string },
  },
  time: T.timestamp,
};

/** The checker's type for a library function's declared parameter or result type. */
export function fromCelType(t: CelType): CheckType {
  switch (t.kind) {
    case 'list':
      return list(fromCelType(t.element));
    case 'map':
      return map(fromCelType(t.key), fromCelType(t.value));
    case 'object':
      if (t.name === 'google.protobuf.Timestamp') return T.timestamp;
      if (t.name === 'google.protobuf.Duration') return T.duration;
      return T.dyn;
    default:
      return t.name === 'null_type' ? T.null : (T as Record<string, CheckType>)[t.name] ?? T.dyn;
  }
}

/** `list(string)`, `map(string, dyn)`, `identity` … for messages. */
export function typeName(t: CheckType): string {
  switch (t.kind) {
    case 'list':
      return `list(${typeName(t.elem)})`;
    case 'map':
      return `map(${typeName(t.key)}, ${typeName(t.value)})`;
    case 'record':
      return t.name;
    default:
      return t.kind;
  }
}

const NUMERIC = new Set(['int', 'uint', 'double']);

/**
 * Whether a value of type `arg` may be passed where `param` is declared.
 * `dyn` on either side passes (checked at run time); a record passes as a
 * map with string keys, which it is at run time.
 */
export function assignable(param: CheckType, arg: CheckType): boolean {
  if (param.kind === 'dyn' || arg.kind === 'dyn') return true;
  if (arg.kind === 'record') return param.kind === 'record' ? param.name === arg.name : param.kind === 'map' && assignable(param.key, T.string);
  if (param.kind === 'list') return arg.kind === 'list' && assignable(param.elem, arg.elem);
  if (param.kind === 'map') return arg.kind === 'map' && assignable(param.key, arg.key) && assignable(param.value, arg.value);
  return param.kind === arg.kind;
}

/** Whether `==` between the two can ever be true (CEL compares numbers across int/uint/double). */
export function comparable(a: CheckType, b: CheckType): boolean {
  if (a.kind === 'dyn' || b.kind === 'dyn' || a.kind === 'null' || b.kind === 'null') return true;
  if (NUMERIC.has(a.kind) && NUMERIC.has(b.kind)) return true;
  if (a.kind === 'record' || b.kind === 'record') return (a.kind === 'record' || a.kind === 'map') && (b.kind === 'record' || b.kind === 'map');
  if (a.kind === 'list') return b.kind === 'list' && comparable(a.elem, b.elem);
  if (a.kind === 'map') return b.kind === 'map';
  return a.kind === b.kind;
}

/** The common type of two branches or list items: the type itself when equal, else dyn. */
export function join(a: CheckType, b: CheckType): CheckType {
  if (a.kind === 'dyn' || b.kind === 'dyn') return T.dyn;
  if (a.kind === 'list' && b.kind === 'list') return list(join(a.elem, b.elem));
  if (a.kind === 'map' && b.kind === 'map') return map(join(a.key, b.key), join(a.value, b.value));
  if (a.kind === 'record' && b.kind === 'record') return a.name === b.name ? a : T.dyn;
  return a.kind === b.kind ? a : T.dyn;
}
