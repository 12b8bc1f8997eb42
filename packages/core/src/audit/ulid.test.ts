import { UlidFactory, ulidTime } from './ulid.js';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe('UlidFactory', () => {
  test('26 Crockford base32 characters, carrying the creation time', () => {
    const at = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
    const id = new UlidFactory(() => at).next();
    expect(id).toMatch(ULID);
    expect(ulidTime(id)).toBe(at);
  });

  test('the time part encodes the epoch and the largest 48-bit time', () => {
    expect(new UlidFactory(() => 0).next().slice(0, 10)).toBe('0000000000');
    expect(new UlidFactory(() => 2 ** 48 - 1).next().slice(0, 10)).toBe('7ZZZZZZZZZ');
  });

  test('strictly increasing within one millisecond (monotonic random part)', () => {
    const ids = new UlidFactory(() => 1_700_000_000_000);
    const made = Array.from({ length: 1000 }, () => ids.next());
    for (let i = 1; i < made.length; i++) expect((made[i] as string) > (made[i - 1] as string)).toBe(true);
    expect(new Set(made.map((id) => id.slice(0, 10))).size).toBe(1);
  });

  test('sorting ids sorts by creation time', () => {
    let now = 1_700_000_000_000;
    const ids = new UlidFactory(() => now);
    const made: string[] = [];
    for (let i = 0; i < 500; i++) {
      if (i % 7 === 0) now += 1;
      made.push(ids.next());
    }
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(made.length);
  });

  test('a clock that steps back does not break the order', () => {
    let now = 1_700_000_000_500;
    const ids = new UlidFactory(() => now);
    const first = ids.next();
    now -= 400;
    const second = ids.next();
    expect(second > first).toBe(true);
    expect(ulidTime(second)).toBe(1_700_000_000_500);
  });

  test('two factories in the same millisecond still differ (80 random bits)', () => {
    expect(new UlidFactory(() => 5).next()).not.toBe(new UlidFactory(() => 5).next());
  });
});
