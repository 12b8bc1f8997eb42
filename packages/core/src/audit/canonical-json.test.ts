import { canonicalJson } from './canonical-json.js';

describe('canonicalJson — RFC 8785 (JCS)', () => {
  test('§3.2.4 sample: member order, number forms and string escapes', () => {
    const input = String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`;
    expect(canonicalJson(JSON.parse(input))).toBe(String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`);
  });

  test('§3.2.3 sorting: by UTF-16 code units, so U+1F600 (D83D DE00) sorts before U+FB33', () => {
    const input = String.raw`{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}`;
    const parsed = JSON.parse(input) as Record<string, string>;
    // Compared as text: a re-parsed object would list the integer-like key "1" first.
    const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'];
    expect(canonicalJson(parsed)).toBe(`{${order.map((k) => `${JSON.stringify(k)}:${JSON.stringify(parsed[k])}`).join(',')}}`);
  });

  test.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'], // -0
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ])('Appendix B: IEEE 754 %s → %s', (hex, expected) => {
    expect(canonicalJson(Buffer.from(hex, 'hex').readDoubleBE(0))).toBe(expected);
  });

  test('common number forms: 1e30, 0.1, -0, integers', () => {
    expect(canonicalJson([1e30, 0.1, -0, 100, 1.5e-7, 123456789012])).toBe('[1e+30,0.1,0,100,1.5e-7,123456789012]');
  });

  test('no whitespace; nested members sorted at every depth; arrays keep their order', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: 2 }], a: { d: null, c: 'x' } })).toBe('{"a":{"c":"x","d":null},"b":[3,{"a":2,"z":1}]}');
  });

  test('control characters, quotes and backslashes escaped; other characters as they are', () => {
    expect(canonicalJson('\u0000\u001f"\\\t\b\f\n\r/é😀\u2028')).toBe('"\\u0000\\u001f\\"\\\\\\t\\b\\f\\n\\r/é😀\u2028"');
  });

  test('array-index-like keys sort as strings, not as V8 orders them ("10" before "9")', () => {
    expect(canonicalJson({ a: 3, 9: 2, 10: 1, nested: [{ 2: 'x', 1: 'y', b: 'z' }] })).toBe('{"10":1,"9":2,"a":3,"nested":[{"1":"y","2":"x","b":"z"}]}');
    expect(canonicalJson({ '01': 1, '1': 2 })).toBe('{"01":1,"1":2}');
  });

  test('undefined members are left out; undefined array items become null (as JSON.stringify)', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
  });

  test('values JSON has no form for are refused', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson({ x: Number.POSITIVE_INFINITY })).toThrow(TypeError);
    expect(() => canonicalJson(10n)).toThrow(TypeError);
  });

  test('the same data in another member order gives the same text', () => {
    expect(canonicalJson({ x: 1, y: { q: [1, 2], p: 'a' } })).toBe(canonicalJson({ y: { p: 'a', q: [1, 2] }, x: 1 }));
  });
});
