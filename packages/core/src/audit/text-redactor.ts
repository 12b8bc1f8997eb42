import { isSecretName, squashName } from './secret-names.js';
import { MASK, applyEdits, closingQuote, type TextEdit } from './text-edits.js';

/**
 * Finds secrets in free text by their shape: what the masking falls back to
 * for bodies it cannot parse, and runs over every parsed body too (a secret
 * inside a description, an SQS message, an S3 object).
 *
 * Every rule is a linear scan with bounded look-ahead — no backtracking
 * regular expressions — so the cost stays proportional to the text.
 */

/** One secret found: hide `text[start, end)`. `field` names the rule or the key. */
export interface Finding {
  start: number;
  end: number;
  field: string;
}

export interface RedactOptions {
  /**
   * The text is the first part of a longer body: a value running into the end
   * may be a secret cut short, so a trailing token-like run is hidden too.
   */
  prefix?: boolean;
}

/** Character codes the scanners compare against. */
const C = {
  Tab: 9, Lf: 10, Cr: 13, Space: 32, Quote: 34, Hash: 35, Amp: 38, Apos: 39, RParen: 41, Plus: 43, Comma: 44,
  Dash: 45, Dot: 46, Slash: 47, D0: 48, D9: 57, Colon: 58, Semi: 59, Lt: 60, Eq: 61, Gt: 62, Question: 63, At: 64,
  A: 65, Z: 90, LBracket: 91, Backslash: 92, RBracket: 93, Underscore: 95, a: 97, z: 122, LBrace: 123, RBrace: 125,
} as const;

const isUpper = (c: number): boolean => c >= C.A && c <= C.Z;
const isLower = (c: number): boolean => c >= C.a && c <= C.z;
const isDigit = (c: number): boolean => c >= C.D0 && c <= C.D9;
const isAlnum = (c: number): boolean => isUpper(c) || isLower(c) || isDigit(c);
/** Characters of a key name: `db.password`, `DB_PASSWORD`, `x-amz-security-token`. */
const isKeyChar = (c: number): boolean => isAlnum(c) || c === C.Underscore || c === C.Dot || c === C.Dash;
/** The standard base64 alphabet (AWS secret keys and session tokens), as a table: runs of it are read a character at a time. */
const B64_TABLE = new Uint8Array(128).map((_, c) => (isAlnum(c) || c === C.Plus || c === C.Slash ? 1 : 0));
const isB64 = (c: number): boolean => c < 128 && B64_TABLE[c] === 1;
/** The base64url alphabet (JWTs). */
const isB64Url = (c: number): boolean => isAlnum(c) || c === C.Dash || c === C.Underscore;

/** Longest key name considered; longer runs are data, not keys. */
const MAX_KEY = 128;

/** PEM blocks whose label names a private key: the body between the armour lines. */
function findPemPrivateKeys(text: string, out: Finding[]): void {
  let i = text.indexOf('-----BEGIN ');
  while (i !== -1) {
    const labelEnd = text.indexOf('-----', i + 11);
    if (labelEnd === -1 || labelEnd - i > 100) {
      i = text.indexOf('-----BEGIN ', i + 11);
      continue;
    }
    let next = labelEnd + 5;
    if (text.slice(i + 11, labelEnd).includes('PRIVATE KEY')) {
      const endMarker = text.indexOf('-----END ', next);
      const end = endMarker === -1 ? text.length : endMarker;
      if (end > next) out.push({ start: next, end, field: 'pem-private-key' });
      next = end;
    }
    i = text.indexOf('-----BEGIN ', next);
  }
}

/** Where an unquoted value ends: at a separator of the formats values appear in (query strings, env files, YAML, logs). */
function unquotedEnd(text: string, from: number, toLineEnd: boolean): number {
  let j = from;
  for (; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === C.Lf || c === C.Cr || c === C.Quote || c === C.Apos || c === C.Lt) break;
    if (toLineEnd) continue;
    if (c === C.Space || c === C.Tab || c === C.Comma || c === C.Semi || c === C.Amp || c === C.Gt || c === C.RBrace || c === C.RBracket || c === C.RParen) break;
  }
  return j;
}

/**
 * `name = value`, `name: value`, `"name": "value"`, `name="value"`,
 * `\"name\":\"value\"` (JSON inside a string) and `<name>value<` where the
 * name is a secret name. Returns where scanning resumes.
 */
function secretValueAfterKey(text: string, keyStart: number, keyEnd: number, out: Finding[]): number {
  const n = text.length;
  let k = keyEnd;
  if (keyStart > 0 && text.charCodeAt(keyStart - 1) === C.Lt) {
    // An XML-like element in text that is not well-formed XML.
    let gt = k;
    while (gt < n && gt - k < 256 && text.charCodeAt(gt) !== C.Gt) gt++; // bounded: `<a <a <a …` stays linear
    const name = text.slice(keyStart, keyEnd);
    if (text.charCodeAt(gt) !== C.Gt || text.charCodeAt(gt - 1) === C.Slash || !isSecretName(name)) return keyEnd;
    const lt = text.indexOf('<', gt + 1);
    const end = lt === -1 ? n : lt;
    if (end > gt + 1) out.push({ start: gt + 1, end, field: name });
    return end;
  }
  const quoted = text.charCodeAt(k) === C.Quote || text.charCodeAt(k) === C.Apos || (text.charCodeAt(k) === C.Backslash && text.charCodeAt(k + 1) === C.Quote);
  if (quoted) k += text.charCodeAt(k) === C.Backslash ? 2 : 1;
  for (let s = 0; s < 16 && (text.charCodeAt(k) === C.Space || text.charCodeAt(k) === C.Tab); s++) k++;
  const sep = text.charCodeAt(k);
  if (sep !== C.Colon && sep !== C.Eq) return keyEnd;
  k++;
  // `a:b:secret:x` is an ARN, not a key and its value: a colon separates only a
  // quoted key (JSON) or one followed by a space (YAML, headers, logs).
  if (sep === C.Colon && !quoted && (text.charCodeAt(keyStart - 1) === C.Colon || (text.charCodeAt(k) !== C.Space && text.charCodeAt(k) !== C.Tab))) return keyEnd;
  for (let s = 0; s < 16 && (text.charCodeAt(k) === C.Space || text.charCodeAt(k) === C.Tab); s++) k++;
  if (k >= n) return keyEnd;
  // Only now the name: most words of a text are not followed by a separator.
  const name = text.slice(keyStart, keyEnd);
  if (!isSecretName(name)) return keyEnd;
  const first = text.charCodeAt(k);
  if (first === C.LBrace || first === C.LBracket) return keyEnd; // structured: its members are checked one by one
  let start: number;
  let end: number;
  if (first === C.Backslash && text.charCodeAt(k + 1) === C.Quote) {
    start = k + 2;
    const close = text.indexOf('\\"', start);
    end = close === -1 ? n : close;
  } else if (first === C.Quote || first === C.Apos) {
    start = k + 1;
    const close = closingQuote(text, start, first === C.Quote ? '"' : "'");
    end = close === -1 ? n : close; // a cut-off value runs to the end
  } else {
    start = k;
    // Header-like values have spaces (`Authorization: AWS4-HMAC-SHA256 Credential=…`).
    const squashed = squashName(name);
    end = unquotedEnd(text, start, squashed.endsWith('authorization') || squashed.endsWith('cookie'));
    // JSON literals say nothing secret, and replacing them would break the document.
    const word = text.slice(start, end);
    if (word === 'null' || word === 'true' || word === 'false') return end;
  }
  if (end > start) out.push({ start, end, field: name });
  return Math.max(end, keyEnd);
}

/**
 * Secret values named by a key in front of them. Only a key next to `<`
 * (an element) or followed by `:` or `=` (after an optional quote and a few
 * blanks) can name a value, so the scan jumps from one such character to the
 * next with `indexOf` (native, ~6× faster than testing every character) and
 * reads the key backwards from there. Keys are maximal runs of key
 * characters, visited left to right; a key inside a value already hidden is
 * skipped, as a forward scan would.
 */
function findNamedValues(text: string, out: Finding[]): void {
  const n = text.length;
  let colon = text.indexOf(':');
  let equals = text.indexOf('=');
  let lt = text.indexOf('<');
  let resume = 0;
  for (;;) {
    let p = colon;
    if (p < 0 || (equals >= 0 && equals < p)) p = equals;
    if (p < 0 || (lt >= 0 && lt < p)) p = lt;
    if (p < 0) return;
    if (p === colon) colon = text.indexOf(':', p + 1);
    else if (p === equals) equals = text.indexOf('=', p + 1);
    else lt = text.indexOf('<', p + 1);

    let keyStart: number;
    let keyEnd: number;
    if (text.charCodeAt(p) === C.Lt) {
      keyStart = p + 1;
      keyEnd = keyStart;
      while (keyEnd < n && keyEnd - keyStart <= MAX_KEY && isKeyChar(text.charCodeAt(keyEnd))) keyEnd++;
    } else {
      let q = p;
      for (let s = 0; s < 16 && q > 0 && (text.charCodeAt(q - 1) === C.Space || text.charCodeAt(q - 1) === C.Tab); s++) q--;
      const before = text.charCodeAt(q - 1);
      if (before === C.Quote) q -= text.charCodeAt(q - 2) === C.Backslash ? 2 : 1;
      else if (before === C.Apos) q -= 1;
      keyEnd = q;
      keyStart = q;
      while (keyStart > 0 && keyEnd - keyStart <= MAX_KEY && isKeyChar(text.charCodeAt(keyStart - 1))) keyStart--;
    }
    if (keyStart === keyEnd || keyEnd - keyStart > MAX_KEY || keyStart < resume) continue;
    resume = secretValueAfterKey(text, keyStart, keyEnd, out);
    // Separators inside what was just hidden belong to the value, not to keys.
    if (resume > p + 1) {
      if (colon >= 0 && colon < resume) colon = text.indexOf(':', resume);
      if (equals >= 0 && equals < resume) equals = text.indexOf('=', resume);
      if (lt >= 0 && lt < resume) lt = text.indexOf('<', resume);
    }
  }
}

/** `scheme://user:password@host`: the password part. */
function findUrlPasswords(text: string, out: Finding[]): void {
  let i = text.indexOf('://');
  while (i !== -1) {
    const from = i + 3;
    let colon = -1;
    let j = from;
    for (; j < text.length && j - from < 256; j++) {
      const c = text.charCodeAt(j);
      if (c === C.At || c === C.Slash || c === C.Question || c === C.Hash || c <= C.Space || c === C.Quote || c === C.Apos || c === C.Lt || c === C.Gt) break;
      if (c === C.Colon && colon === -1) colon = j;
    }
    if (text.charCodeAt(j) === C.At && colon !== -1 && j > colon + 1) out.push({ start: colon + 1, end: j, field: 'url-password' });
    i = text.indexOf('://', j);
  }
}

/** Base64 prefixes of STS session tokens (`IQoJb3JpZ2lu` decodes to `!\n\torigin`). */
const SESSION_TOKEN_PREFIXES = ['IQoJb3JpZ2lu', 'AQoJb3JpZ2lu', 'FwoGZXIvYXdz', 'FQoGZXIvYXdz', 'AQoDYXdz'];
/** Base64 of `-----BEGIN` (a PEM block encoded once more, as ACM ImportCertificate takes it). */
const B64_PEM = 'LS0tLS1CRUdJTi';

/** At least 20 distinct characters in 40: random keys have ~30, words and paths far fewer. */
function looksRandom(text: string, start: number, end: number): boolean {
  const seen = new Set<number>();
  let upper = false;
  let lower = false;
  let digit = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    seen.add(c);
    upper ||= isUpper(c);
    lower ||= isLower(c);
    digit ||= isDigit(c);
  }
  return upper && lower && digit && seen.size >= 20;
}

/** Shortest base64 run any rule below looks at. */
const MIN_B64_RUN = 32;

/**
 * AWS secret access keys (40 random base64 characters), session tokens,
 * base64-wrapped PEM private keys: maximal base64 runs of 32 or more. A run
 * that long covers every 32nd position, so the scan tests one character in
 * 32 until it lands in a run, then reads that run out both ways.
 */
function findBase64Secrets(text: string, out: Finding[]): void {
  const n = text.length;
  let from = 0; // no run of MIN_B64_RUN or more starts before `from` that was not handled
  while (from + MIN_B64_RUN <= n) {
    const probe = from + MIN_B64_RUN - 1;
    if (!isB64(text.charCodeAt(probe))) {
      from = probe + 1;
      continue;
    }
    let i = probe;
    while (i > from && isB64(text.charCodeAt(i - 1))) i--;
    let j = probe + 1;
    while (j < n && isB64(text.charCodeAt(j))) j++;
    const len = j - i;
    if (len < MIN_B64_RUN) {
      from = j;
      continue;
    }
    let end = j;
    while (end < n && end - j < 2 && text.charCodeAt(end) === C.Eq) end++;
    const glued = (i > 0 && isB64Url(text.charCodeAt(i - 1))) || (end < n && isB64Url(text.charCodeAt(end)));
    if (len === 40 && !glued && looksRandom(text, i, j)) {
      out.push({ start: i, end, field: 'aws-secret-access-key' });
    } else if (SESSION_TOKEN_PREFIXES.some((p) => text.startsWith(p, i))) {
      out.push({ start: i, end, field: 'aws-session-token' });
    } else if (len >= 64 && text.startsWith(B64_PEM, i) && Buffer.from(text.slice(i, i + 64), 'base64').toString('latin1').includes('PRIVATE KEY')) {
      out.push({ start: i, end, field: 'pem-private-key' });
    }
    from = end;
  }
}

/** JSON Web Tokens (`eyJ….eyJ….sig`): bearer tokens from Cognito, OIDC, EKS. */
function findJwts(text: string, out: Finding[]): void {
  const n = text.length;
  let i = text.indexOf('eyJ');
  while (i !== -1) {
    let next = i + 3;
    if (i === 0 || !isB64Url(text.charCodeAt(i - 1))) {
      let j = i;
      let dots = 0;
      for (; j < n; j++) {
        const c = text.charCodeAt(j);
        if (c === C.Dot && dots < 2) dots++;
        else if (!isB64Url(c)) break;
      }
      if (dots === 2 && j - i >= 24) {
        out.push({ start: i, end: j, field: 'jwt' });
        next = j;
      }
    }
    i = text.indexOf('eyJ', next);
  }
}

/** A token-like run at the very end of a cut-off text, which may be the start of a secret. */
function findCutOffRun(text: string, out: Finding[]): void {
  let i = text.length;
  while (i > 0 && (isB64Url(text.charCodeAt(i - 1)) || isB64(text.charCodeAt(i - 1)) || text.charCodeAt(i - 1) === C.Eq)) i--;
  if (text.length - i >= 8) out.push({ start: i, end: text.length, field: '' });
}

/** Every secret-shaped span of `text`, in no particular order (ranges may overlap). */
export function findSecretsInText(text: string, options: RedactOptions = {}): Finding[] {
  const out: Finding[] = [];
  findPemPrivateKeys(text, out);
  findNamedValues(text, out);
  findUrlPasswords(text, out);
  findBase64Secrets(text, out);
  findJwts(text, out);
  if (options.prefix === true) findCutOffRun(text, out);
  return out;
}

/**
 * Hides every secret-shaped span of `text` behind the mask. `fields` names
 * what was hidden (key names, or rule names such as `aws-secret-access-key`).
 *
 * @example redactText('DB_PASSWORD=hunter2 PORT=5432').text // 'DB_PASSWORD=*** PORT=5432'
 */
export function redactText(text: string, options: RedactOptions = {}): { text: string; fields: string[] } {
  // Spans that hold the mask already were hidden by a structural masker.
  const findings = findSecretsInText(text, options).filter((f) => f.end - f.start !== MASK.length || !text.startsWith(MASK, f.start));
  if (findings.length === 0) return { text, fields: [] };
  const fields = new Set<string>();
  for (const f of findings) if (f.field !== '') fields.add(f.field);
  const edits: TextEdit[] = findings.map((f) => ({ start: f.start, end: f.end, with: MASK }));
  return { text: applyEdits(text, edits), fields: [...fields] };
}
