/** The marker that replaces a secret. Fixed, never derived from the value: a hash of a short password can be reversed. */
export const MASK = '***';

/** Replace `text[start, end)` with `with`. */
export interface TextEdit {
  start: number;
  end: number;
  with: string;
}

/**
 * Applies edits in one pass. An edit inside (or overlapping) one already
 * applied is dropped: the outer edit hid that text already.
 */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  if (edits.length === 0) return text;
  const sorted = [...edits].sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) {
      // Overlaps what an earlier edit replaced: extend that edit instead of leaking the tail.
      if (e.end > at) at = e.end;
      continue;
    }
    out += text.slice(at, e.start) + e.with;
    at = e.end;
  }
  return out + text.slice(at);
}

/**
 * Index of the quote `q` that closes a string whose content starts at
 * `from`, skipping backslash-escaped ones; -1 when the text ends first (a
 * cut-off string). The JSON scanners and the text redactor share it.
 */
export function closingQuote(text: string, from: number, q = '"'): number {
  let j = from;
  for (;;) {
    const k = text.indexOf(q, j);
    if (k === -1) return -1;
    let backslashes = 0;
    for (let b = k - 1; b >= from && text.charCodeAt(b) === 92 /* backslash */; b--) backslashes++;
    if (backslashes % 2 === 0) return k;
    j = k + 1;
  }
}

/** Masked field paths, first seen first, bounded (the event keeps at most 256 in all). */
export class FieldList {
  private readonly seen = new Set<string>();

  constructor(private readonly max = 64) {}

  add(path: string): void {
    if (this.seen.size < this.max) this.seen.add(path.length > 256 ? `${path.slice(0, 253)}...` : path);
  }

  addAll(paths: Iterable<string>): void {
    for (const p of paths) this.add(p);
  }

  toArray(): string[] {
    return [...this.seen];
  }
}

/** Appends a member to a display path: `A` + `B` → `A.B`; list levels show as `[]`. */
export function childPath(parent: string, name: string): string {
  const segment = name.length > 64 ? `${name.slice(0, 61)}...` : name;
  return parent === '' ? segment : `${parent}.${segment}`;
}
