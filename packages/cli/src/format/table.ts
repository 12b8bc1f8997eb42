import { displayWidth, pad, sanitize, truncate } from './text.js';
import { plainStyler, type Style, type Styler } from './style.js';

/** One column of a table: how to read a cell from a row, and how it may be sized. */
export interface Column<Row> {
  header: string;
  value(row: Row): string;
  align?: 'left' | 'right';
  /** Cells longer than this are cut with `…`. */
  max?: number;
  /**
   * May shrink (down to `min`, default 8 or the header) when the table must fit
   * a terminal width. Fixed columns (times, counts) keep their width.
   */
  flex?: boolean;
  min?: number;
  style?(value: string, row: Row): Style | undefined;
}

export interface TableOptions {
  /** Total columns available (a terminal's width); omitted: no limit but each column's `max`. */
  width?: number;
  /** Spaces between columns. */
  gap?: number;
  styler?: Styler;
  /** Print the header line (default true); `tail` prints it once, then rows as they come. */
  header?: boolean;
  /**
   * Column widths to use instead of measuring the rows: output printed in
   * batches (`tail`) stays aligned from one batch to the next.
   */
  fixedWidths?: readonly number[];
}

/**
 * Renders rows as aligned columns under a header line. Cells are sanitised,
 * then cut with `…` to their column's width. Returns the text with a trailing
 * newline, or `''` for no rows (callers print their own "nothing found").
 *
 * @example
 * renderTable([{ header: 'ID', value: (r) => r.id }, { header: 'CALLS', value: (r) => String(r.calls), align: 'right' }], rows)
 */
export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[], options: TableOptions = {}): string {
  if (rows.length === 0) return '';
  const gap = options.gap ?? 2;
  const styler = options.styler ?? plainStyler;
  const cells = rows.map((row) => columns.map((c) => sanitize(c.value(row))));
  const widths = options.fixedWidths !== undefined ? [...options.fixedWidths] : columns.map((c, i) => {
    const headerWidth = options.header === false ? 0 : displayWidth(c.header);
    const longest = cells.reduce((w, r) => Math.max(w, displayWidth(r[i] ?? '')), headerWidth);
    return c.max === undefined ? longest : Math.min(longest, Math.max(c.max, headerWidth));
  });
  if (options.width !== undefined) shrinkToFit(columns, widths, options.width - gap * (columns.length - 1));

  const line = (values: readonly string[], row: Row | undefined): string =>
    values
      .map((v, i) => {
        const col = columns[i]!;
        const text = truncate(v, widths[i]!);
        const last = i === values.length - 1;
        const padded = last && col.align !== 'right' ? text : pad(text, widths[i]!, col.align);
        return row === undefined ? padded : styler.paint(col.style?.(v, row), padded);
      })
      .join(' '.repeat(gap))
      .trimEnd();

  const out = options.header === false ? [] : [line(columns.map((c) => c.header), undefined)];
  cells.forEach((r, i) => out.push(line(r, rows[i])));
  return `${out.join('\n')}\n`;
}

/** Narrows the widest flexible columns first until the widths sum to `budget` or none can give more. */
function shrinkToFit<Row>(columns: readonly Column<Row>[], widths: number[], budget: number): void {
  let over = widths.reduce((a, b) => a + b, 0) - budget;
  const floor = columns.map((c) => Math.max(c.min ?? 8, displayWidth(c.header)));
  while (over > 0) {
    let widest = -1;
    for (let i = 0; i < columns.length; i++) {
      if (columns[i]!.flex !== true || widths[i]! <= floor[i]!) continue;
      if (widest < 0 || widths[i]! > widths[widest]!) widest = i;
    }
    if (widest < 0) return;
    widths[widest] = widths[widest]! - 1;
    over -= 1;
  }
}
