/**
 * Text helpers for terminal output: sanitising untrusted strings, measuring
 * how many columns a string takes, truncating and padding to a width.
 *
 * Audit fields come from agents (user agents, error messages, resource names,
 * agent names): a field holding an ANSI escape or a newline must not be able to
 * rewrite the operator's terminal or forge a row, so every cell passes through
 * `sanitize` before it is measured.
 */

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

// C0 controls, DEL and C1 controls (ESC, CSI …) are never printed raw.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

// East Asian wide and fullwidth ranges plus pictographic emoji take two columns.
const WIDE = /\p{Extended_Pictographic}|[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;

/** The ellipsis that marks a truncated cell. */
export const ELLIPSIS = '…';

/**
 * Replaces control characters with visible escapes (`\n`, `\x1b` …) so a
 * value prints on one line and cannot drive the terminal.
 */
export function sanitize(value: string): string {
  return value.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

function graphemeWidth(g: string): number {
  return WIDE.test(g) ? 2 : 1;
}

/** Terminal columns a (sanitised) string takes. */
export function displayWidth(value: string): number {
  let width = 0;
  for (const { segment } of segmenter.segment(value)) width += graphemeWidth(segment);
  return width;
}

/** Cuts `value` to at most `width` columns, ending in `…` when it was cut. */
export function truncate(value: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(value) <= width) return value;
  let out = '';
  let used = 0;
  for (const { segment } of segmenter.segment(value)) {
    const w = graphemeWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return out + ELLIPSIS;
}

/** Pads with spaces to `width` columns, on the right (`left` alignment) or the left. */
export function pad(value: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(value)));
  return align === 'left' ? value + fill : fill + value;
}

/** `1234567` → `1,234,567`: counts people read at a glance. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
