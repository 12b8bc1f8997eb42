import { describe, expect, it } from '@jest/globals';
import { displayWidth, formatCount, pad, sanitize, truncate } from './text.js';

describe('sanitize', () => {
  it('shows control characters as escapes, so a field cannot drive the terminal or forge a row', () => {
    expect(sanitize('evil\u001b[2J\nrow\ttab\u009b')).toBe('evil\\x1b[2J\\nrow\\ttab\\x9b');
  });

  it('leaves printable text alone', () => {
    expect(sanitize('alice → Agent s3-cleanup')).toBe('alice → Agent s3-cleanup');
  });
});

describe('displayWidth', () => {
  it('counts graphemes, and wide characters as two columns', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('→├─│')).toBe(4);
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('e\u0301')).toBe(1);
  });
});

describe('truncate', () => {
  it('keeps text that fits', () => {
    expect(truncate('arn:aws:s3:::b', 14)).toBe('arn:aws:s3:::b');
  });

  it('cuts to the width with an ellipsis', () => {
    expect(truncate('arn:aws:s3:::bucket', 10)).toBe('arn:aws:s…');
    expect(displayWidth(truncate('日本語のテキスト', 7))).toBeLessThanOrEqual(7);
  });

  it('returns nothing for no room', () => {
    expect(truncate('abc', 0)).toBe('');
  });
});

describe('pad and formatCount', () => {
  it('pads left or right by display width', () => {
    expect(pad('ab', 4)).toBe('ab  ');
    expect(pad('ab', 4, 'right')).toBe('  ab');
    expect(pad('日', 4)).toBe('日  ');
  });

  it('groups thousands', () => {
    expect(formatCount(1_234_567)).toBe('1,234,567');
  });
});
