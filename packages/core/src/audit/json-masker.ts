import type { FieldMatcher } from './field-matcher.js';
import { PAIR_NAME_KEYS, PAIR_VALUE_KEYS, isSecretName, squashName } from './secret-names.js';
import { FieldList, MASK, applyEdits, childPath, closingQuote, type TextEdit } from './text-edits.js';

/**
 * Masks secret members of a JSON document in place: the text keeps its
 * layout, and each secret value (or every leaf of a secret object or array)
 * becomes `"***"`. One pass over the text, no parse tree, no re-serialising.
 *
 * Tolerates a document cut short (`prefix`): whatever was seen is masked, a
 * secret value running into the end is hidden to the end, and a `value` whose
 * sibling `name` was cut off is hidden as if the name were secret.
 */
export function maskJson(text: string, matcher: FieldMatcher, prefix: boolean): { text: string; fields: string[] } | undefined {
  const scanner = new JsonScanner(text, matcher);
  try {
    scanner.document();
  } catch (err) {
    if (err === MALFORMED) return undefined;
    if (err !== END) throw err;
    if (!prefix) return undefined; // a complete body that stops mid-document is malformed
  }
  return { text: applyEdits(text, scanner.edits), fields: scanner.fields.toArray() };
}

/** Thrown at input that is not JSON; the caller falls back to text redaction. */
const MALFORMED = new Error('malformed JSON');
/** Thrown where the input ends inside the document. */
const END = new Error('end of JSON input');
/** AWS documents nest a few levels; deeper input is not an AWS body, and recursion stays bounded. */
const MAX_DEPTH = 64;
const QUOTED_MASK = `"${MASK}"`;

/** What a member's value sits under. */
interface Context {
  /** Display path (`Credentials.SecretAccessKey`, `Parameters[].Value`). */
  path: string;
  /** Inside a secret member: every leaf is hidden. */
  masked: boolean;
}

/** Per object: the `name`/`value` sibling pair (see PAIR_NAME_KEYS). */
interface PairState {
  /** undefined until a name key with a string value was seen. */
  nameIsSecret: boolean | undefined;
  values: Array<{ start: number; end: number; path: string }>;
}

class JsonScanner {
  readonly edits: TextEdit[] = [];
  readonly fields = new FieldList();
  private pos = 0;
  /** Squashed member names from the root to the current value, list levels left out. */
  private readonly ancestors: string[] = [];

  constructor(private readonly text: string, private readonly matcher: FieldMatcher) {}

  document(): void {
    if (this.text.charCodeAt(0) === 0xfeff) this.pos = 1;
    this.value({ path: '', masked: false }, 0);
    this.skipWs();
    if (this.pos < this.text.length) throw MALFORMED;
  }

  private skipWs(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return;
      this.pos++;
    }
  }

  private value(ctx: Context, depth: number): void {
    this.skipWs();
    if (this.pos >= this.text.length) throw END;
    const c = this.text.charCodeAt(this.pos);
    if (c === 123 /* { */) return this.object(ctx, depth + 1);
    if (c === 91 /* [ */) return this.array(ctx, depth + 1);
    const start = this.pos;
    let hide: boolean;
    try {
      // true, false and null say nothing secret; numbers can (a PIN).
      if (c === 34 /* " */) {
        this.string();
        hide = true;
      } else {
        hide = this.literal(depth > 0);
      }
    } catch (err) {
      if (err === END && ctx.masked) this.edits.push({ start, end: this.text.length, with: QUOTED_MASK });
      throw err;
    }
    if (ctx.masked && hide) this.edits.push({ start, end: this.pos, with: QUOTED_MASK });
  }

  /** Moves past a string token; returns its raw text (with quotes). */
  private string(): string {
    const start = this.pos;
    const q = closingQuote(this.text, start + 1);
    if (q === -1) throw END;
    this.pos = q + 1;
    return this.text.slice(start, this.pos);
  }

  /** Moves past a number or `true`/`false`/`null`; true for a number. */
  private literal(nested: boolean): boolean {
    const t = this.text;
    const start = this.pos;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      const ok = (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || c === 45 || c === 43 || c === 46 || c === 69;
      if (!ok) break;
      this.pos++;
    }
    if (this.pos === start) throw MALFORMED;
    if (this.pos === t.length && nested) throw END; // inside a document a literal never ends it: it may go on past the cut
    const token = t.slice(start, this.pos);
    if (token === 'true' || token === 'false' || token === 'null') return false;
    if (!/^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(token)) throw MALFORMED;
    return true;
  }

  private object(ctx: Context, depth: number): void {
    if (depth > MAX_DEPTH) throw MALFORMED;
    this.pos++;
    const pair: PairState = { nameIsSecret: undefined, values: [] };
    try {
      this.skipWs();
      if (this.text.charCodeAt(this.pos) === 125 /* } */) {
        this.pos++;
        return;
      }
      for (;;) {
        this.skipWs();
        if (this.pos >= this.text.length) throw END;
        if (this.text.charCodeAt(this.pos) !== 34) throw MALFORMED;
        const key = decodeString(this.string());
        this.skipWs();
        if (this.pos >= this.text.length) throw END;
        if (this.text.charCodeAt(this.pos) !== 58 /* : */) throw MALFORMED;
        this.pos++;
        this.member(ctx, depth, key, pair);
        this.skipWs();
        const c = this.text.charCodeAt(this.pos);
        if (this.pos >= this.text.length) throw END;
        this.pos++;
        if (c === 125 /* } */) break;
        if (c !== 44 /* , */) throw MALFORMED;
      }
      if (pair.nameIsSecret === true) this.hidePairValues(pair);
    } catch (err) {
      // Cut off: a value whose name never arrived may be the secret one.
      if (err === END && pair.nameIsSecret !== false) this.hidePairValues(pair);
      throw err;
    }
  }

  private member(ctx: Context, depth: number, key: string, pair: PairState): void {
    const name = squashName(key);
    const path = childPath(ctx.path, key);
    const secret = ctx.masked || this.matcher.isSecret(this.ancestors, name);
    if (secret && !ctx.masked) this.fields.add(path);
    this.ancestors.push(name);
    this.skipWs();
    const start = this.pos;
    const isPairValue = !secret && PAIR_VALUE_KEYS.has(name);
    try {
      this.value({ path, masked: secret }, depth);
    } catch (err) {
      if (err === END && isPairValue) pair.values.push({ start, end: this.text.length, path });
      throw err;
    } finally {
      this.ancestors.pop();
    }
    if (isPairValue) pair.values.push({ start, end: this.pos, path });
    if (!secret && PAIR_NAME_KEYS.has(name) && this.text.charCodeAt(start) === 34) {
      pair.nameIsSecret = (pair.nameIsSecret ?? false) || isSecretName(decodeString(this.text.slice(start, this.pos)));
    }
  }

  private hidePairValues(pair: PairState): void {
    for (const v of pair.values) {
      this.edits.push({ start: v.start, end: v.end, with: QUOTED_MASK });
      this.fields.add(v.path);
    }
  }

  private array(ctx: Context, depth: number): void {
    if (depth > MAX_DEPTH) throw MALFORMED;
    this.pos++;
    const item: Context = { path: `${ctx.path}[]`, masked: ctx.masked };
    this.skipWs();
    if (this.text.charCodeAt(this.pos) === 93 /* ] */) {
      this.pos++;
      return;
    }
    for (;;) {
      this.value(item, depth);
      this.skipWs();
      if (this.pos >= this.text.length) throw END;
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === 93) return;
      if (c !== 44) throw MALFORMED;
    }
  }
}

/** The value of a JSON string token; escapes decoded (`"Pass\u0077ord"` is `Password` to AWS too). */
function decodeString(raw: string): string {
  if (!raw.includes('\\')) return raw.slice(1, -1);
  try {
    return JSON.parse(raw) as string;
  } catch {
    throw MALFORMED;
  }
}
