import { squashName } from '../audit/secret-names.js';

/**
 * Policy field paths (`SecretString`, `Credentials.SecretAccessKey`,
 * `Parameters[*].Value`) compiled for matching while a body is scanned.
 *
 * A path matches a field whose own path (member names from the root, list
 * levels and XML list wrappers left out) ends with the path's members —
 * `Credentials.SecretAccessKey` meets the JSON `{"Credentials":{…}}` and the
 * XML `<AssumeRoleResponse><AssumeRoleResult><Credentials>…`. Names are
 * compared squashed (case and `-`/`_` ignored). The built-in audit masking
 * matches its per-operation fields and a policy's `in: Audit` paths with this
 * class too (audit/field-matcher.ts), so a path means the same in `in: Audit`
 * and `in: Response`. `[*]` only documents a list level; it may be left out
 * (squashing drops the brackets).
 */
export class FieldPaths {
  /** Last squashed member → the squashed members before it, per path. */
  private readonly byLast = new Map<string, string[][]>();

  constructor(paths: readonly string[]) {
    for (const p of paths) {
      const segments = p.split('.').map(squashName).filter((s) => s !== '');
      const last = segments.pop();
      if (last === undefined) continue;
      const list = this.byLast.get(last);
      if (list === undefined) this.byLast.set(last, [segments]);
      else list.push(segments);
    }
  }

  get empty(): boolean {
    return this.byLast.size === 0;
  }

  /** Whether the member `name` (squashed) under `ancestors` (squashed, outermost first) is to be masked. */
  matches(ancestors: readonly string[], name: string): boolean {
    const candidates = this.byLast.get(name);
    if (candidates === undefined) return false;
    return candidates.some((before) => {
      if (before.length > ancestors.length) return false;
      const offset = ancestors.length - before.length;
      return before.every((s, i) => ancestors[offset + i] === s);
    });
  }
}

/** At most this many masked paths are reported (names only, never values). */
export const MAX_REPORTED = 64;
/** Bodies nest a few levels; deeper input is not an AWS body and recursion stays bounded. */
export const MAX_DEPTH = 64;
