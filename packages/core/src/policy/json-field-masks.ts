import { MASK, applyEdits, childPath, closingQuote, type TextEdit } from '../audit/text-edits.js';
import { squashName } from '../audit/secret-names.js';
import { MAX_DEPTH, type FieldPaths } from './field-paths.js';

const QUOTED_MASK = `"${MASK}"`;
const MALFORMED = new Error('malformed JSON');
const LITERAL = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/**
 * Replaces the value of every member the paths name with `"***"` — a
 * string, whatever scalar it was. A named object or list keeps its shape and
 * has every string and number inside it masked, so a client still parses the
 * response (DynamoDB's `{"S": "…"}` attribute values, for one). The rest of
 * the text stays byte for byte: re-serialising would round large integers
 * and reorder nothing useful. Undefined when the text is not one JSON document.
 */
export function maskJsonFields(text: string, paths: FieldPaths): { text: string; masked: string[] } | undefined {
  const s = new Scanner(text, paths);
  try {
    s.document();
  } catch (err) {
    // SyntaxError: a key with a bad escape; RangeError: nesting beyond the stack.
    if (err === MALFORMED || err instanceof SyntaxError || err instanceof RangeError) return undefined;
    throw err;
  }
  return { text: applyEdits(text, s.edits), masked: [...s.masked] };
}

class Scanner {
  readonly edits: TextEdit[] = [];
  readonly masked = new Set<string>();
  private pos = 0;
  private readonly ancestors: string[] = [];

  constructor(private readonly t: string, private readonly paths: FieldPaths) {}

  document(): void {
    if (this.t.charCodeAt(0) === 0xfeff) this.pos = 1;
    this.value('', 0);
    this.ws();
    if (this.pos !== this.t.length) throw MALFORMED;
  }

  private ws(): void {
    for (;;) {
      const c = this.t.charCodeAt(this.pos);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return;
      this.pos++;
    }
  }

  /** `maskAll`: inside a named object or list, where every scalar but true/false/null is masked. */
  private value(path: string, depth: number, maskAll = false): void {
    if (depth > MAX_DEPTH) throw MALFORMED;
    this.ws();
    const c = this.t.charCodeAt(this.pos);
    const start = this.pos;
    if (c === 123 /* { */) this.object(path, depth, maskAll);
    else if (c === 91 /* [ */) this.array(path, depth, maskAll);
    else {
      if (c === 34 /* " */) this.string();
      else this.literal();
      if (maskAll && (c === 34 || c === 45 || (c >= 48 && c <= 57))) this.edits.push({ start, end: this.pos, with: QUOTED_MASK });
    }
  }

  private string(): string {
    const start = this.pos;
    const q = closingQuote(this.t, start + 1);
    if (q === -1) throw MALFORMED;
    this.pos = q + 1;
    return this.t.slice(start, this.pos);
  }

  private literal(): void {
    LITERAL.lastIndex = this.pos;
    if (!LITERAL.test(this.t)) throw MALFORMED;
    this.pos = LITERAL.lastIndex;
  }

  private object(path: string, depth: number, maskAll: boolean): void {
    this.pos++;
    this.ws();
    if (this.t.charCodeAt(this.pos) === 125 /* } */) {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.t.charCodeAt(this.pos) !== 34) throw MALFORMED;
      const raw = this.string();
      const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
      this.ws();
      if (this.t.charCodeAt(this.pos) !== 58 /* : */) throw MALFORMED;
      this.pos++;
      this.ws();
      const name = squashName(key);
      const child = childPath(path, key);
      const start = this.pos;
      if (!maskAll && this.paths.matches(this.ancestors, name)) {
        const c = this.t.charCodeAt(this.pos);
        if (c === 123 || c === 91) this.value(child, depth + 1, true);
        else {
          this.value(child, depth + 1);
          this.edits.push({ start, end: this.pos, with: QUOTED_MASK });
        }
        this.masked.add(child);
      } else {
        this.ancestors.push(name);
        this.value(child, depth + 1, maskAll);
        this.ancestors.pop();
      }
      this.ws();
      const c = this.t.charCodeAt(this.pos++);
      if (c === 125) return;
      if (c !== 44 /* , */) throw MALFORMED;
    }
  }

  private array(path: string, depth: number, maskAll: boolean): void {
    this.pos++;
    this.ws();
    if (this.t.charCodeAt(this.pos) === 93 /* ] */) {
      this.pos++;
      return;
    }
    for (;;) {
      this.value(`${path}[]`, depth + 1, maskAll);
      this.ws();
      const c = this.t.charCodeAt(this.pos++);
      if (c === 93) return;
      if (c !== 44) throw MALFORMED;
    }
  }
}
