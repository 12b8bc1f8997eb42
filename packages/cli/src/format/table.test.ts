import { describe, expect, it } from '@jest/globals';
import { ansiStyler, chooseStyler, plainStyler } from './style.js';
import { renderTable, type Column } from './table.js';

interface Row {
  name: string;
  n: number;
}
const cols: Column<Row>[] = [
  { header: 'NAME', value: (r) => r.name, flex: true, min: 4 },
  { header: 'COUNT', value: (r) => String(r.n), align: 'right' },
  { header: 'NOTE', value: () => 'x' },
];

describe('renderTable', () => {
  it('aligns columns to the widest cell and trims trailing spaces', () => {
    const out = renderTable(cols, [{ name: 'a', n: 1 }, { name: 'longer-name', n: 1234 }]);
    expect(out).toBe(['NAME         COUNT  NOTE', 'a                1  x', 'longer-name   1234  x', ''].join('\n'));
  });

  it('cuts cells longer than the column cap with …', () => {
    const capped: Column<Row>[] = [{ header: 'NAME', value: (r) => r.name, max: 6 }];
    expect(renderTable(capped, [{ name: 'abcdefghij', n: 0 }])).toBe('NAME\nabcde…\n');
  });

  it('shrinks flexible columns to fit a terminal width, fixed ones keep theirs', () => {
    const out = renderTable(cols, [{ name: 'a-very-long-session-name', n: 7 }], { width: 20 });
    for (const line of out.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(20);
    expect(out).toBe('NAME     COUNT  NOTE\na-very…      7  x\n');
  });

  it('can leave out the header and use fixed widths, so batches line up', () => {
    const a = renderTable(cols, [{ name: 'a', n: 1 }], { header: false, fixedWidths: [6, 5, 4] });
    const b = renderTable(cols, [{ name: 'bbbbbb', n: 22 }], { header: false, fixedWidths: [6, 5, 4] });
    expect(a).toBe('a           1  x\n');
    expect(b).toBe('bbbbbb     22  x\n');
  });

  it('prints nothing for no rows', () => {
    expect(renderTable(cols, [])).toBe('');
  });

  it('sanitises cells before measuring them', () => {
    expect(renderTable([{ header: 'V', value: () => 'a\nb' }], [{}])).toBe('V\na\\nb\n');
  });

  it('colours after padding, so escape codes do not shift columns', () => {
    const styled: Column<Row>[] = [
      { header: 'NAME', value: (r) => r.name, style: () => 'red' },
      { header: 'N', value: (r) => String(r.n) },
    ];
    const out = renderTable(styled, [{ name: 'ab', n: 1 }], { styler: ansiStyler });
    expect(out).toBe('NAME  N\n\u001b[31mab  \u001b[39m  1\n');
  });
});

describe('chooseStyler', () => {
  it('colours only a terminal without NO_COLOR', () => {
    expect(chooseStyler(true, {})).toBe(ansiStyler);
    expect(chooseStyler(true, { NO_COLOR: '1' })).toBe(plainStyler);
    expect(chooseStyler(false, {})).toBe(plainStyler);
    expect(chooseStyler(undefined, {})).toBe(plainStyler);
  });
});
