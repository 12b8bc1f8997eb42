import type { FieldMatcher } from './field-matcher.js';
import { LIST_WRAPPERS, PAIR_NAME_KEYS, PAIR_VALUE_KEYS, isSecretName, squashName } from './secret-names.js';
import { FieldList, MASK, applyEdits, childPath, type TextEdit } from './text-edits.js';

/**
 * Masks secret elements of an XML document in place (query, EC2 and REST-XML
 * protocols: `<SecretAccessKey>`, `<Password>`, `<entry><key>…</key><value>`):
 * the text content of a secret element, and of everything inside it, becomes
 * `***`; tags and layout stay. One forward scan with an element stack — no
 * DOM, no entity expansion, no DTD processing.
 *
 * Tolerates a document cut short (`prefix`), like maskJson.
 */
export function maskXml(text: string, matcher: FieldMatcher, prefix: boolean): { text: string; fields: string[] } | undefined {
  const scanner = new XmlScanner(text, matcher);
  const complete = scanner.scan();
  if (complete === MALFORMED) return undefined;
  if (complete === END) {
    if (!prefix) return undefined;
    scanner.unwind();
  }
  return { text: applyEdits(text, scanner.edits), fields: scanner.fields.toArray() };
}

const MALFORMED = 'malformed';
const END = 'end';
const MAX_DEPTH = 64;
/** Element names: letters, digits, `_ - . :` (a namespace prefix is dropped for matching). */
const NAME = /^[A-Za-z_][\w.:-]*$/;

interface Frame {
  /** Qualified name as written, to match the end tag. */
  tag: string;
  /** Squashed local name, or '' for a list wrapper (`member`, `item`, `entry`). */
  name: string;
  path: string;
  masked: boolean;
  /** Text content spans, for the pair rule. */
  text: Array<{ start: number; end: number }>;
  /** Pair rule over this element's children (see PAIR_NAME_KEYS). */
  nameIsSecret: boolean | undefined;
  values: Array<{ spans: Array<{ start: number; end: number }>; path: string }>;
}

class XmlScanner {
  readonly edits: TextEdit[] = [];
  readonly fields = new FieldList();
  private readonly stack: Frame[] = [];
  private readonly ancestors: string[] = [];
  private sawRoot = false;

  constructor(private readonly text: string, private readonly matcher: FieldMatcher) {}

  /** Scans the whole text: undefined when the document is complete and well formed. */
  scan(): typeof MALFORMED | typeof END | undefined {
    const t = this.text;
    let pos = t.charCodeAt(0) === 0xfeff ? 1 : 0;
    while (pos < t.length) {
      const lt = t.indexOf('<', pos);
      if (lt === -1) {
        if (!this.content(pos, t.length)) return MALFORMED;
        break;
      }
      if (lt > pos && !this.content(pos, lt)) return MALFORMED;
      if (t.startsWith('<!--', lt)) {
        const end = t.indexOf('-->', lt + 4);
        if (end === -1) return END;
        pos = end + 3;
      } else if (t.startsWith('<![CDATA[', lt)) {
        const end = t.indexOf(']]>', lt + 9);
        if (!this.content(lt + 9, end === -1 ? t.length : end)) return MALFORMED;
        if (end === -1) return END;
        pos = end + 3;
      } else if (t.startsWith('<?', lt)) {
        const end = t.indexOf('?>', lt + 2);
        if (end === -1) return END;
        pos = end + 2;
      } else if (t.startsWith('<!', lt)) {
        // DOCTYPE: skipped, never expanded. An internal subset is not AWS output.
        const end = t.indexOf('>', lt + 2);
        if (end === -1) return END;
        if (t.slice(lt, end).includes('[')) return MALFORMED;
        pos = end + 1;
      } else {
        const gt = tagEnd(t, lt + 1);
        if (gt === -1) return END;
        const result = t.charCodeAt(lt + 1) === 47 /* / */ ? this.close(t.slice(lt + 2, gt).trim()) : this.open(t.slice(lt + 1, gt));
        if (result !== undefined) return result;
        pos = gt + 1;
      }
    }
    if (this.stack.length > 0 || !this.sawRoot) return END;
    return undefined;
  }

  /** Text between tags: hidden inside a secret element; outside the root only whitespace is allowed. */
  private content(start: number, end: number): boolean {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) return isBlank(this.text, start, end);
    if (isBlank(this.text, start, end)) return true;
    top.text.push({ start, end });
    if (top.masked) this.edits.push({ start, end, with: MASK });
    return true;
  }

  private open(inner: string): typeof MALFORMED | undefined {
    const selfClosing = inner.endsWith('/');
    const body = selfClosing ? inner.slice(0, -1) : inner;
    const space = body.search(/[\s]/);
    const tag = space === -1 ? body : body.slice(0, space);
    if (!NAME.test(tag)) return MALFORMED;
    const parent = this.stack[this.stack.length - 1];
    if (parent === undefined && this.sawRoot) return MALFORMED;
    this.sawRoot = true;
    if (selfClosing) return undefined;
    if (this.stack.length >= MAX_DEPTH) return MALFORMED;
    const local = tag.slice(tag.lastIndexOf(':') + 1);
    const squashed = squashName(local);
    const wrapper = parent !== undefined && LIST_WRAPPERS.has(squashed);
    const parentPath = parent?.path ?? '';
    const path = wrapper ? `${parentPath}[]` : childPath(parentPath, local);
    let masked = parent?.masked ?? false;
    if (!masked && !wrapper && this.matcher.isSecret(this.ancestors, squashed)) {
      masked = true;
      this.fields.add(path);
    }
    this.stack.push({ tag, name: wrapper ? '' : squashed, path, masked, text: [], nameIsSecret: undefined, values: [] });
    if (!wrapper) this.ancestors.push(squashed);
    return undefined;
  }

  private close(tag: string): typeof MALFORMED | undefined {
    const frame = this.stack.pop();
    if (frame === undefined || frame.tag !== tag) return MALFORMED;
    if (frame.name !== '') this.ancestors.pop();
    this.finish(frame, false);
    return undefined;
  }

  /** Resolves an element's pair rule and reports it to its parent's. */
  private finish(frame: Frame, cut: boolean): void {
    if (frame.nameIsSecret === true || (cut && frame.nameIsSecret === undefined)) this.hideValues(frame);
    const parent = this.stack[this.stack.length - 1];
    if (parent === undefined || frame.masked) return;
    if (PAIR_NAME_KEYS.has(frame.name)) {
      const value = frame.text.map((s) => decodeEntities(this.text.slice(s.start, s.end))).join('').trim();
      parent.nameIsSecret = (parent.nameIsSecret ?? false) || isSecretName(value);
    } else if (PAIR_VALUE_KEYS.has(frame.name)) {
      parent.values.push({ spans: frame.text, path: frame.path });
    }
  }

  private hideValues(frame: Frame): void {
    for (const v of frame.values) {
      for (const s of v.spans) this.edits.push({ start: s.start, end: s.end, with: MASK });
      if (v.spans.length > 0) this.fields.add(v.path);
    }
  }

  /** The input ended inside the document: close what is open, treating missing pair names as secret. */
  unwind(): void {
    for (let frame = this.stack.pop(); frame !== undefined; frame = this.stack.pop()) {
      // Text of the innermost element running into the end was seen by content() already.
      this.finish(frame, true);
    }
  }
}

/** Index of the `>` closing a tag that starts at `from`, skipping quoted attribute values; -1 when cut off. */
function tagEnd(t: string, from: number): number {
  let quote = 0;
  for (let i = from; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === 34 || c === 39) {
      quote = c;
    } else if (c === 62 /* > */) {
      return i;
    }
  }
  return -1;
}

function isBlank(t: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return false;
  }
  return true;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The five predefined entities and character references — enough to read a pair's name. */
function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return safeCodePoint(parseInt(ref.slice(2), 16), whole);
    if (ref.startsWith('#')) return safeCodePoint(parseInt(ref.slice(1), 10), whole);
    return ENTITIES[ref] ?? whole;
  });
}

function safeCodePoint(cp: number, fallback: string): string {
  return cp <= 0x10ffff ? String.fromCodePoint(cp) : fallback;
}
