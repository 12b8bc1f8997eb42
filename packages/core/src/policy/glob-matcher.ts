/**
 * IAM-style globs compiled once into the cheapest matcher that does the job:
 * `*` matches any run of characters (also none), `?` exactly one. A pattern
 * without wildcards is an equality test, `abc*` a prefix test, `*abc` a
 * suffix test, `*abc*` a substring test; anything else becomes an anchored
 * RegExp. Evaluation then costs a string compare in the common cases.
 */
export type StringMatcher = (value: string) => boolean;

const REGEX_SPECIALS = /[.+^${}()|[\]\\/-]/g;

/**
 * Compiles a glob. With `ignoreCase`, the pattern is lower-cased and the
 * caller passes lower-cased values (done once per call, not per pattern).
 */
export function compileGlob(pattern: string, ignoreCase = false): StringMatcher {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  if (p === '*') return () => true;
  if (!p.includes('?')) {
    const stars = countStars(p);
    if (stars === 0) return (v) => v === p;
    if (stars === 1 && p.endsWith('*')) {
      const prefix = p.slice(0, -1);
      return (v) => v.startsWith(prefix);
    }
    if (stars === 1 && p.startsWith('*')) {
      const suffix = p.slice(1);
      return (v) => v.endsWith(suffix);
    }
    if (stars === 2 && p.startsWith('*') && p.endsWith('*') && p.length > 2) {
      const middle = p.slice(1, -1);
      return (v) => v.includes(middle);
    }
  }
  const source = p.replace(REGEX_SPECIALS, '\\$&').replace(/\*+/g, '.*').replace(/\?/g, '.');
  // `s` flag: an ARN key may hold a newline; `*` still spans it, as in IAM.
  const re = new RegExp(`^${source}$`, 's');
  return (v) => re.test(v);
}

/** Matches when any of the globs matches. */
export function compileGlobs(patterns: readonly string[], ignoreCase = false): StringMatcher {
  if (patterns.includes('*')) return () => true;
  const matchers = patterns.map((p) => compileGlob(p, ignoreCase));
  if (matchers.length === 1) return matchers[0] as StringMatcher;
  return (v) => {
    for (const m of matchers) if (m(v)) return true;
    return false;
  };
}

function countStars(p: string): number {
  let n = 0;
  for (let i = p.indexOf('*'); i !== -1; i = p.indexOf('*', i + 1)) n++;
  return n;
}
