import type { CelEnv, parse } from '@bufbuild/cel';
import { T, assignable, comparable, fromCelType, join, typeName, type CheckType } from './cel-types.js';

type ParsedExpr = ReturnType<typeof parse>;
type Expr = ParsedExpr['expr'];

/** A type error at a character offset of the expression. */
export class CelCheckError extends Error {
  constructor(message: string, readonly offset: number | undefined) {
    super(message);
  }
}

/** Deepest nesting of comprehensions: two levels cover `chain.exists(a, resources.all(r, …))`. */
const MAX_COMPREHENSION_DEPTH = 3;

/**
 * A static type-checker for `when` conditions. @bufbuild/cel 0.6 parses and
 * evaluates but its checker only covers constants and identifiers, so this
 * one walks the parsed expression itself: undeclared variables, unknown
 * fields of `identity`/`request`/`aws`, unknown functions, calls that match
 * no overload of the library's functions (read from the environment, so the
 * checker and the evaluator agree on what exists) and comparisons that can
 * never hold. `dyn` values (request params) pass and are checked at run time.
 */
export class CelChecker {
  private readonly methods = new Map<string, Overload[]>();
  private readonly functions = new Map<string, Overload[]>();

  constructor(env: CelEnv, private readonly globals: Readonly<Record<string, CheckType>>) {
    for (const f of env.funcs) {
      const into = f.target === undefined ? this.functions : this.methods;
      const overloads = into.get(f.name) ?? [];
      overloads.push({ target: f.target === undefined ? undefined : fromCelType(f.target), args: f.arguments.map(fromCelType), result: fromCelType(f.result) });
      into.set(f.name, overloads);
    }
  }

  /** The type of the whole expression; throws CelCheckError. */
  check(parsed: ParsedExpr): CheckType {
    const positions = parsed.sourceInfo?.positions ?? {};
    return new Walk(this, positions).expr(parsed.expr, new Map(), 0);
  }

  /** @internal */
  overloads(name: string, method: boolean): Overload[] | undefined {
    return (method ? this.methods : this.functions).get(name);
  }

  /** @internal */
  global(name: string): CheckType | undefined {
    return Object.hasOwn(this.globals, name) ? this.globals[name] : undefined;
  }
}

interface Overload {
  target: CheckType | undefined;
  args: CheckType[];
  result: CheckType;
}

type Scope = ReadonlyMap<string, CheckType>;

class Walk {
  constructor(private readonly checker: CelChecker, private readonly positions: Readonly<Record<string, number>>) {}

  private fail(e: Expr, message: string): never {
    throw new CelCheckError(message, this.positions[String(e.id)]);
  }

  expr(e: Expr, scope: Scope, depth: number): CheckType {
    const k = e.exprKind;
    switch (k.case) {
      case 'constExpr':
        return constType(k.value.constantKind.case);
      case 'identExpr': {
        const t = scope.get(k.value.name) ?? this.checker.global(k.value.name);
        if (t === undefined) this.fail(e, `undeclared reference to '${k.value.name}' (variables: identity, request, aws, time)`);
        return t;
      }
      case 'selectExpr': {
        const operand = k.value.operand;
        if (operand === undefined) this.fail(e, 'selection without an operand');
        const t = this.select(e, this.expr(operand, scope, depth), k.value.field);
        return k.value.testOnly ? T.bool : t;
      }
      case 'callExpr':
        return this.call(e, k.value, scope, depth);
      case 'listExpr': {
        let elem: CheckType | undefined;
        for (const x of k.value.elements) {
          const t = this.expr(x, scope, depth);
          elem = elem === undefined ? t : join(elem, t);
        }
        return { kind: 'list', elem: elem ?? T.dyn };
      }
      case 'structExpr': {
        if (k.value.messageName !== '') this.fail(e, `message construction (${k.value.messageName}) is not supported`);
        let key: CheckType | undefined;
        let value: CheckType | undefined;
        for (const entry of k.value.entries) {
          if (entry.keyKind.case !== 'mapKey' || entry.value === undefined) this.fail(e, 'malformed map literal');
          const kt = this.expr(entry.keyKind.value, scope, depth);
          const vt = this.expr(entry.value, scope, depth);
          key = key === undefined ? kt : join(key, kt);
          value = value === undefined ? vt : join(value, vt);
        }
        return { kind: 'map', key: key ?? T.dyn, value: value ?? T.dyn };
      }
      case 'comprehensionExpr':
        return this.comprehension(e, k.value, scope, depth);
      default:
        this.fail(e, `unsupported expression (${String(k.case)})`);
    }
  }

  private select(e: Expr, t: CheckType, field: string): CheckType {
    switch (t.kind) {
      case 'record': {
        const f = Object.hasOwn(t.fields, field) ? t.fields[field] : undefined;
        if (f === undefined) this.fail(e, `undefined field '${field}' of ${t.name} (fields: ${Object.keys(t.fields).join(', ')})`);
        return f;
      }
      case 'map':
        if (!assignable(t.key, T.string)) this.fail(e, `cannot select '${field}' from ${typeName(t)}`);
        return t.value;
      case 'dyn':
        return T.dyn;
      default:
        return this.fail(e, `type ${typeName(t)} has no field '${field}'`);
    }
  }

  private call(e: Expr, c: Extract<Expr['exprKind'], { case: 'callExpr' }>['value'], scope: Scope, depth: number): CheckType {
    const args = c.args.map((a) => this.expr(a, scope, depth));
    const fn = c.function;
    switch (fn) {
      case '_&&_':
      case '_||_':
      case '@not_strictly_false':
        for (const a of args) if (!assignable(T.bool, a)) this.fail(e, `${operatorName(fn)} needs bool operands, not ${typeName(a)}`);
        return T.bool;
      case '_?_:_': {
        const [cond, a, b] = args as [CheckType, CheckType, CheckType];
        if (!assignable(T.bool, cond)) this.fail(e, `the condition of ?: must be bool, not ${typeName(cond)}`);
        return join(a, b);
      }
      case '_==_':
      case '_!=_': {
        const [a, b] = args as [CheckType, CheckType];
        if (!comparable(a, b)) this.fail(e, `${typeName(a)} ${fn === '_==_' ? '==' : '!='} ${typeName(b)} is never true: no matching overload`);
        return T.bool;
      }
      case '_[_]':
        return this.index(e, args[0] as CheckType, args[1] as CheckType, c.args[1]);
      case '@in': {
        const [x, container] = args as [CheckType, CheckType];
        if (container.kind === 'list' && !comparable(x, container.elem)) this.fail(e, `${typeName(x)} in ${typeName(container)} is never true`);
        if (container.kind !== 'list' && container.kind !== 'map' && container.kind !== 'record' && container.kind !== 'dyn') this.fail(e, `'in' needs a list or map, not ${typeName(container)}`);
        return T.bool;
      }
    }
    const target = c.target === undefined ? undefined : this.expr(c.target, scope, depth);
    const overloads = this.checker.overloads(fn, target !== undefined);
    if (overloads === undefined) this.fail(e, `undeclared reference to ${target === undefined ? 'function' : 'method'} '${fn}'`);
    const matching = overloads.filter((o) => o.args.length === args.length && (target === undefined || assignable(o.target as CheckType, target)) && o.args.every((p, i) => assignable(p, args[i] as CheckType)));
    if (matching.length === 0) {
      const shown = `(${args.map(typeName).join(', ')})`;
      this.fail(e, `found no matching overload for '${fn}' applied to ${target === undefined ? '' : `${typeName(target)}.`}${shown}`);
    }
    return matching.map((o) => o.result).reduce(join);
  }

  private index(e: Expr, container: CheckType, key: CheckType, keyExpr: Expr | undefined): CheckType {
    switch (container.kind) {
      case 'list':
        if (!assignable(T.int, key) && key.kind !== 'uint') this.fail(e, `list index must be int, not ${typeName(key)}`);
        return container.elem;
      case 'map':
        if (!assignable(container.key, key)) this.fail(e, `map key must be ${typeName(container.key)}, not ${typeName(key)}`);
        return container.value;
      case 'record': {
        const k = keyExpr?.exprKind;
        if (k?.case === 'constExpr' && k.value.constantKind.case === 'stringValue') return this.select(e, container, k.value.constantKind.value);
        return T.dyn;
      }
      case 'dyn':
        return T.dyn;
      default:
        return this.fail(e, `type ${typeName(container)} cannot be indexed`);
    }
  }

  private comprehension(e: Expr, c: Extract<Expr['exprKind'], { case: 'comprehensionExpr' }>['value'], scope: Scope, depth: number): CheckType {
    if (depth >= MAX_COMPREHENSION_DEPTH) this.fail(e, `comprehensions nest at most ${MAX_COMPREHENSION_DEPTH} deep`);
    if (c.iterRange === undefined || c.accuInit === undefined || c.loopCondition === undefined || c.loopStep === undefined || c.result === undefined) {
      this.fail(e, 'malformed comprehension');
    }
    const range = this.expr(c.iterRange, scope, depth);
    let first: CheckType;
    let second: CheckType = T.dyn;
    switch (range.kind) {
      case 'list':
        [first, second] = c.iterVar2 === '' ? [range.elem, T.dyn] : [T.int, range.elem];
        break;
      case 'map':
        [first, second] = [range.key, range.value];
        break;
      case 'record':
        [first, second] = [T.string, T.dyn];
        break;
      case 'dyn':
        first = T.dyn;
        break;
      default:
        this.fail(e, `cannot iterate over ${typeName(range)}`);
    }
    const accu = this.expr(c.accuInit, scope, depth);
    const inner = new Map(scope);
    inner.set(c.accuVar, accu);
    const outer = new Map(inner);
    inner.set(c.iterVar, first);
    if (c.iterVar2 !== '') inner.set(c.iterVar2, second);
    this.expr(c.loopCondition, inner, depth + 1);
    this.expr(c.loopStep, inner, depth + 1);
    return this.expr(c.result, outer, depth + 1);
  }
}

function constType(kind: string | undefined): CheckType {
  switch (kind) {
    case 'boolValue':
      return T.bool;
    case 'int64Value':
      return T.int;
    case 'uint64Value':
      return T.uint;
    case 'doubleValue':
      return T.double;
    case 'stringValue':
      return T.string;
    case 'bytesValue':
      return T.bytes;
    case 'nullValue':
      return T.null;
    case 'durationValue':
      return T.duration;
    case 'timestampValue':
      return T.timestamp;
    default:
      return T.dyn;
  }
}

function operatorName(fn: string): string {
  return fn === '_&&_' ? '&&' : fn === '_||_' ? '||' : fn;
}
