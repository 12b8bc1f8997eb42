import type { FieldMatcher } from './field-matcher.js';
import { LIST_WRAPPERS, PAIR_NAME_KEYS, PAIR_VALUE_KEYS, isSecretName, squashName } from './secret-names.js';
import { FieldList, MASK } from './text-edits.js';
import { redactText } from './text-redactor.js';

/**
 * Masks name/value parameters: query-protocol form bodies
 * (`Action=CreateLoginProfile&UserName=bob&Password=…`) and URL query strings.
 * Names are flattened paths (`Parameters.member.1.ParameterValue`): a
 * parameter is secret when any segment is (`UserData.Value`), and a
 * `…ParameterKey` naming a secret hides its `…ParameterValue` sibling. Other
 * values still go through text redaction (a presigned URL as a parameter).
 */
export function maskParams(
  params: ReadonlyArray<readonly [string, string]>,
  matcher: FieldMatcher,
  prefix: boolean,
): { values: string[]; fields: string[] } {
  const fields = new FieldList();
  const values = params.map(([, v]) => v);
  const hidden = new Array<boolean>(params.length).fill(false);
  const groups = new Map<string, { nameIsSecret: boolean | undefined; values: number[] }>();
  params.forEach(([name, value], i) => {
    const segments = name.split('.');
    const ancestors: string[] = [];
    let secret = false;
    for (const segment of segments) {
      const squashed = squashName(segment);
      if (squashed === '' || /^\d+$/.test(squashed) || LIST_WRAPPERS.has(squashed)) continue;
      if (matcher.isSecret(ancestors, squashed)) {
        secret = true;
        break;
      }
      ancestors.push(squashed);
    }
    if (secret) {
      hidden[i] = true;
      fields.add(displayPath(segments));
      return;
    }
    const last = squashName(segments[segments.length - 1] ?? '');
    const isName = PAIR_NAME_KEYS.has(last);
    if (!isName && !PAIR_VALUE_KEYS.has(last)) return;
    const key = segments.slice(0, -1).join('.');
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { nameIsSecret: undefined, values: [] }));
    if (isName) group.nameIsSecret = (group.nameIsSecret ?? false) || isSecretName(value);
    else group.values.push(i);
  });
  for (const group of groups.values()) {
    // In a cut-off body the naming parameter may be past the cut.
    if (group.nameIsSecret !== true && !(prefix && group.nameIsSecret === undefined)) continue;
    for (const i of group.values) {
      hidden[i] = true;
      fields.add(displayPath((params[i] as readonly [string, string])[0].split('.')));
    }
  }
  for (let i = 0; i < values.length; i++) {
    if (hidden[i]) {
      values[i] = MASK;
      continue;
    }
    const redacted = redactText(values[i] as string, { prefix: prefix && i === values.length - 1 });
    if (redacted.fields.length > 0 || redacted.text !== values[i]) {
      values[i] = redacted.text;
      const path = displayPath((params[i] as readonly [string, string])[0].split('.'));
      for (const f of redacted.fields) fields.add(`${path}:${f}`);
    }
  }
  return { values, fields: fields.toArray() };
}

/** `Parameters.member.1.ParameterValue` → `Parameters[].ParameterValue`. */
function displayPath(segments: readonly string[]): string {
  let out = '';
  for (const s of segments) {
    if (/^\d+$/.test(s) || LIST_WRAPPERS.has(s.toLowerCase())) {
      if (!out.endsWith('[]')) out += '[]';
    } else {
      out += out === '' ? s : `.${s}`;
    }
  }
  return out.length > 256 ? `${out.slice(0, 253)}...` : out;
}

/** Splits a form body; names and values percent-decoded (`+` is a space). */
export function parseForm(body: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of body.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    out.push(eq === -1 ? [formDecode(part), ''] : [formDecode(part.slice(0, eq)), formDecode(part.slice(eq + 1))]);
  }
  return out;
}

function formDecode(s: string): string {
  const plain = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plain);
  } catch {
    return plain; // a cut-off or stray `%`: keep the raw text
  }
}

/** Masks a form body, keeping each parameter's name as sent. */
export function maskForm(body: string, matcher: FieldMatcher, prefix: boolean): { text: string; fields: string[] } {
  const rawParts = body.split('&').filter((p) => p !== '');
  const params = parseForm(body);
  const { values, fields } = maskParams(params, matcher, prefix);
  const text = rawParts
    .map((raw, i) => {
      const eq = raw.indexOf('=');
      const rawName = eq === -1 ? raw : raw.slice(0, eq);
      const original = (params[i] as [string, string])[1];
      const value = values[i] as string;
      if (value === original) return raw;
      return `${rawName}=${value === MASK ? MASK : encodeURIComponent(value)}`;
    })
    .join('&');
  return { text, fields };
}
