import { describe, expect, it } from '@jest/globals';
import { formatAbsolute, formatClock, formatRelative, formatWhen, spansDays } from './time.js';

const now = new Date('2025-11-26T15:00:00.000Z');

describe('times', () => {
  it('reads relative times in the largest whole unit', () => {
    expect(formatRelative('2025-11-26T14:59:59.500Z', now)).toBe('just now');
    expect(formatRelative('2025-11-26T14:59:18.000Z', now)).toBe('42s ago');
    expect(formatRelative('2025-11-26T14:55:00.000Z', now)).toBe('5m ago');
    expect(formatRelative('2025-11-26T12:00:00.000Z', now)).toBe('3h ago');
    expect(formatRelative('2025-11-24T15:00:00.000Z', now)).toBe('2d ago');
    expect(formatRelative('2025-11-26T15:00:05.000Z', now)).toBe('in 5s');
  });

  it('prints absolute times in UTC', () => {
    expect(formatAbsolute('2025-11-26T14:16:03.120Z')).toBe('2025-11-26 14:16:03Z');
    expect(formatWhen('2025-11-26T14:55:00.000Z', now)).toBe('5m ago (2025-11-26 14:55:00Z)');
  });

  it('prints clock times with milliseconds, with the date only when asked', () => {
    expect(formatClock('2025-11-26T14:16:03.120Z')).toBe('14:16:03.120');
    expect(formatClock('2025-11-26T14:16:03.120Z', true)).toBe('11-26 14:16:03.120');
  });

  it('tells whether times span more than one day', () => {
    expect(spansDays(['2025-11-26T00:00:00Z', '2025-11-26T23:59:59Z'])).toBe(false);
    expect(spansDays(['2025-11-26T23:59:59Z', '2025-11-27T00:00:00Z'])).toBe(true);
  });

  it('passes unparseable times through rather than printing Invalid Date', () => {
    expect(formatAbsolute('garbage')).toBe('garbage');
  });
});
