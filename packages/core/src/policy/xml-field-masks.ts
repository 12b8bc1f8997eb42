import { MASK, applyEdits, childPath, type TextEdit } from '../audit/text-edits.js';
import { LIST_WRAPPERS, squashName } from '../audit/secret-names.js';
import { MAX_DEPTH, type FieldPaths } from './field-paths.js';

const NAME = /^[A-Za-z_][\w.:-]*$/;

interface Frame {
  tag: string;
  /** Squashed local name; '' for a list wrapper (`member`, `item`, `entry`). */
  name: string;
  path: string;
  /** Offset just after the start tag, when this element's content is masked. */
  maskFrom: number | undefined;
}

/**
 * Replaces the content of every element the paths name with `***` (child
 * elements included); tags, attributes and the rest stay as they were. One
 * forward scan with an element stack: no DOM, no entity or DTD expansion.
 * Undefined when the text is not a well-formed document.
 */
export function maskXmlFields(text: string, paths: FieldPaths): { text: string; masked: string[] } | undefined {
  const edits: TextEdit[] = [];
  const masked = new Set<string>();
  const stack: Frame[] = [];
  const ancestors: string[] = [];
  let masking = 0;
  let sawRoot = false;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    if (lt === -1) {
      if (stack.length === 0 && text.slice(pos).trim() !== '') return undefined;
      break;
    }
    if (stack.length === 0 && text.slice(pos, lt).trim() !== '') return undefined;
    let end: number;
    if (text.startsWith('<!--', lt)) end = close(text, '-->', lt + 4);
    else if (text.startsWith('<![CDATA[', lt)) end = close(text, ']]>', lt + 9);
    else if (text.startsWith('<?', lt)) end = close(text, '?>', lt + 2);
    else if (text.startsWith('<!', lt)) {
      end = close(text, '>', lt + 2);
      if (text.slice(lt, end).includes('[')) return undefined; // an internal DTD subset is not AWS output
    } else {
      const gt = text.indexOf('>', lt + 1);
      if (gt === -1) return undefined;
      end = gt + 1;
      const inner = text.slice(lt + 1, gt);
      if (inner.startsWith('/')) {
        const frame = stack.pop();
        if (frame === undefined || frame.tag !== inner.slice(1).trim()) return undefined;
        if (frame.name !== '') ancestors.pop();
        if (frame.maskFrom !== undefined) {
          masking--;
          edits.push({ start: frame.maskFrom, end: lt, with: MASK });
        }
      } else {
        const selfClosing = inner.endsWith('/');
        const body = selfClosing ? inner.slice(0, -1) : inner;
        const space = body.search(/\s/);
        const tag = space === -1 ? body : body.slice(0, space);
        if (!NAME.test(tag) || (stack.length === 0 && sawRoot) || stack.length >= MAX_DEPTH) return undefined;
        sawRoot = true;
        if (!selfClosing) {
          const parent = stack[stack.length - 1];
          const local = tag.slice(tag.lastIndexOf(':') + 1);
          const squashed = squashName(local);
          const wrapper = parent !== undefined && LIST_WRAPPERS.has(squashed);
          const path = wrapper ? `${parent.path}[]` : childPath(parent?.path ?? '', local);
          let maskFrom: number | undefined;
          if (masking === 0 && !wrapper && paths.matches(ancestors, squashed)) {
            maskFrom = end;
            masking++;
            masked.add(path);
          }
          stack.push({ tag, name: wrapper ? '' : squashed, path, maskFrom });
          if (!wrapper) ancestors.push(squashed);
        }
      }
    }
    if (end === -1) return undefined;
    pos = end;
  }
  if (stack.length > 0 || !sawRoot) return undefined;
  return { text: applyEdits(text, edits), masked: [...masked] };
}

/** Offset after the terminator, or -1 when the document ends first. */
function close(text: string, terminator: string, from: number): number {
  const i = text.indexOf(terminator, from);
  return i === -1 ? -1 : i + terminator.length;
}
