/**
 * Optional colour. Colour is applied after widths are computed (escape codes
 * take no columns), only when stdout is a terminal and NO_COLOR is unset
 * (https://no-color.org).
 */
export type Style = 'red' | 'yellow' | 'green' | 'dim' | 'bold';

/** Wraps text in a style, or returns it unchanged. */
export interface Styler {
  paint(style: Style | undefined, text: string): string;
}

const CODES: Record<Style, [number, number]> = {
  red: [31, 39],
  yellow: [33, 39],
  green: [32, 39],
  dim: [2, 22],
  bold: [1, 22],
};

/** No colour at all: pipes, files, tests, NO_COLOR. */
export const plainStyler: Styler = { paint: (_style, text) => text };

/** ANSI SGR colours. */
export const ansiStyler: Styler = {
  paint: (style, text) => (style === undefined || text === '' ? text : `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m`),
};

/** Colour only for a terminal, and never when NO_COLOR is set to anything non-empty. */
export function chooseStyler(isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): Styler {
  const noColor = env['NO_COLOR'];
  return isTTY === true && (noColor === undefined || noColor === '') ? ansiStyler : plainStyler;
}
