import { describe, expect, it } from '@jest/globals';
import { canonicalJson, eventHash, type AuditEvent } from '@agentrail/core';
import { fastCanonicalJson, sealedForm } from './sealed-form.js';
import { TrailBuilder } from './testing/trail-builder.js';

describe('fastCanonicalJson', () => {
  it('equals core canonicalJson on values insertion order cannot express and on awkward strings', () => {
    const values: unknown[] = [
      { b: 1, a: { 10: 'x', 9: 'y', é: 1, Z: [{ z: 1, a: undefined, m: null }] }, 2: [1, 'two', { y: true }], c: undefined },
      { s: 'quote" \\ \u2028 \ud800 tab\t nul\u0000', n: [0, -0, 1e21, 1.5e-7, -12.25], e: {}, l: [] },
      { '': 'empty key', ' ': 'space', '\u00e9': 'precomposed', 'e\u0301': 'decomposed', '\ud83d\ude00': 'astral', 'ｚ': 'fullwidth' },
      [undefined, null, [], [[{}]]],
      'plain', 42, true, null,
    ];
    for (const v of values) expect(fastCanonicalJson(v)).toBe(canonicalJson(v));
  });

  it('takes values already in canonical order as they are, and still sorts what is not', () => {
    const e = new TrailBuilder().session().call({ responseText: '{"b":1,"a":2}' });
    const parsed: unknown = JSON.parse(canonicalJson(e));
    expect(fastCanonicalJson(parsed)).toBe(canonicalJson(e));
    const almost = JSON.parse(canonicalJson(e)) as { aws: Record<string, unknown> };
    almost.aws = { zzz: 1, ...almost.aws }; // one unsorted object deep inside
    expect(fastCanonicalJson(almost)).toBe(canonicalJson(almost));
    const withUndefined = { ...(parsed as object), masking: undefined };
    expect(fastCanonicalJson(withUndefined)).toBe(canonicalJson(withUndefined));
  });

  it('tells apart objects whose keys share a first key, a count, or a set in another order', () => {
    const values: unknown[] = [
      { a: 1, b: 2, c: 3 }, { a: 1, c: 3, b: 2 }, { a: 1, b: 2, d: 4 }, { a: 1, b: 2 }, { c: 3, b: 2, a: 1 },
      { a: 1, b: undefined, c: 3 }, { a: { b: { a: [{ b: 1, a: 2 }, { a: 2, b: 1 }] } } },
    ];
    for (let round = 0; round < 2; round++) for (const v of values) expect(fastCanonicalJson(v)).toBe(canonicalJson(v));
    // more shapes than the cache keeps: it starts again rather than growing
    for (let i = 0; i < 3000; i++) {
      const v = { [`k${i}`]: i, a: true, [`z${i % 7}`]: [null] };
      expect(fastCanonicalJson(v)).toBe(canonicalJson(v));
    }
  });

  it('refuses what core refuses', () => {
    expect(() => fastCanonicalJson({ x: Number.NaN })).toThrow(TypeError);
    expect(() => fastCanonicalJson({ x: 1n })).toThrow(TypeError);
  });
});

describe('sealedForm', () => {
  it('hashes events exactly as eventHash does, and stores the hashed text', () => {
    const trail = new TrailBuilder();
    const s = trail.session({ parent: trail.session(), agent: 'x' });
    const events: AuditEvent[] = [s.started(), s.call({ responseText: '{"a":1}', requestText: 'k=v&x=ü' }), s.ended('done')];
    for (const e of events) {
      const form = sealedForm(e);
      expect(form.hashOk).toBe(true);
      const { hash: _hash, ...link } = e.session;
      expect(form.canonical).toBe(canonicalJson({ ...e, session: link }));
      expect(eventHash(e)).toBe(e.session.hash);
    }
    const changed = { ...events[1], response: { status: 500 } } as AuditEvent;
    expect(sealedForm(changed).hashOk).toBe(false);
  });
});
