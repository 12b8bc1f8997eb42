import type { AwsProtocol } from '../aws/types.js';
import type { BodyExcerpt, BodyOmission } from './audit-event.js';
import { bodyFormat, decodeText, truncateUtf8 } from './body-text.js';
import { fieldMatcherFor } from './field-matcher.js';
import { maskJson } from './json-masker.js';
import { maskForm, maskParams } from './param-masker.js';
import { FieldList } from './text-edits.js';
import { redactText } from './text-redactor.js';
import { maskXml } from './xml-masker.js';

export { MASK } from './text-edits.js';

/** One body to put in the audit trail. */
export interface MaskBodyInput {
  /** `service:Operation` (`secretsmanager:GetSecretValue`): selects the operation's secret fields. */
  operation: string;
  protocol: AwsProtocol;
  direction: 'request' | 'response';
  contentType?: string;
  /** The captured body: all of it, or its first part when `totalBytes` is larger. */
  body: Buffer | undefined;
  /** Size of the whole body as relayed. */
  totalBytes: number;
  /** Longest text kept, in UTF-8 bytes. */
  maxBytes: number;
  /** Further secret fields from policy (member names or dotted paths), on top of the built-in ones. */
  extraFields?: readonly string[];
}

/** The excerpt to record, and the paths of what was masked (names only, never values). */
export interface MaskBodyResult {
  excerpt: BodyExcerpt;
  maskedFields: string[];
}

/**
 * How much of a captured body is masked before the excerpt is cut to
 * `maxBytes`. Masking before cutting is what keeps a secret from surviving as
 * a cut-off fragment; beyond a few times the excerpt, the rest could never
 * reach the trail, so it is treated as cut off (and masked as such).
 */
const SCAN_FACTOR = 4;

/**
 * Built-in masking of a request or response body for the audit trail: the
 * trail never stores a secret, whatever the policy says.
 *
 * JSON, XML and form bodies are parsed (bounded, one pass) and every secret
 * field is replaced by `***` — by name at any depth (secret-names.ts), by the
 * operation's own list (field-matcher.ts) and by `name`/`value` pairs — then
 * the text is searched for secret-shaped values (text-redactor.ts: keys,
 * tokens, PEM private keys, `password=` …). Bodies that do not parse are
 * text-redacted only. Binary bodies are omitted. Only then is the text cut
 * to `maxBytes`.
 *
 * @example
 * maskBody({ operation: 'sts:AssumeRole', protocol: 'query', direction: 'response',
 *   contentType: 'text/xml', body, totalBytes: body.length, maxBytes: 65536 })
 * // → { excerpt: { …, text: '…<SecretAccessKey>***</SecretAccessKey>…' },
 * //     maskedFields: ['AssumeRoleResponse.AssumeRoleResult.Credentials.SecretAccessKey', …] }
 */
export function maskBody(input: MaskBodyInput): MaskBodyResult {
  const { body, totalBytes, maxBytes } = input;
  const contentType = input.contentType?.slice(0, 256);
  // Members in RFC 8785 order (bytes, contentType, omitted, text, truncated): events are hashed over canonical JSON.
  const excerpt = (omitted: BodyOmission | undefined, text?: string, truncated = false): BodyExcerpt => ({
    bytes: totalBytes,
    ...(contentType !== undefined ? { contentType } : {}),
    ...(omitted !== undefined ? { omitted } : {}),
    ...(text !== undefined ? { text } : {}),
    truncated,
  });
  if (maxBytes <= 0) return { excerpt: excerpt('disabled'), maskedFields: [] };
  if (body === undefined) return { excerpt: excerpt(totalBytes > 0 ? 'streamed' : undefined), maskedFields: [] };

  const scanLimit = Math.max(maxBytes * SCAN_FACTOR, 4096);
  const bytes = body.length > scanLimit ? body.subarray(0, scanLimit) : body;
  const prefix = bytes.length < totalBytes;
  const text = decodeText(bytes, prefix);
  const format = bodyFormat({ contentType: input.contentType, protocol: input.protocol, direction: input.direction, text });
  if (text === undefined || format === 'binary') return { excerpt: excerpt('binary'), maskedFields: [] };

  const matcher = fieldMatcherFor(input.operation, input.extraFields);
  const fields = new FieldList();
  let masked: string;
  if (format === 'form') {
    const r = maskForm(text, matcher, prefix);
    fields.addAll(r.fields);
    masked = r.text;
  } else {
    const structured = format === 'json' ? maskJson(text, matcher, prefix) : format === 'xml' ? maskXml(text, matcher, prefix) : undefined;
    if (structured !== undefined) fields.addAll(structured.fields);
    const redacted = redactText(structured?.text ?? text, { prefix });
    fields.addAll(redacted.fields);
    masked = redacted.text;
  }
  const cut = truncateUtf8(masked, maxBytes);
  return { excerpt: excerpt(undefined, cut.text, prefix || cut.cut), maskedFields: fields.toArray() };
}

/** Query parameters as the data path has them (decoded, wire order), or as an event records them. */
export type QueryInput = ReadonlyArray<readonly [string, string]> | Readonly<Record<string, string | readonly string[]>>;

/**
 * Built-in masking of URL query parameters: presigned-URL credentials
 * (`X-Amz-Security-Token`, `X-Amz-Signature`, SigV2 `Signature`), secret
 * names (query-protocol GETs carry `Password=` too) and secret-shaped values.
 * `X-Amz-Credential` (access key id and scope) is not a secret and stays.
 * Repeated names keep every value, as the event records them.
 */
export function maskQuery(query: QueryInput, operation = ''): { query: Record<string, string | string[]>; maskedFields: string[] } {
  const pairs: ReadonlyArray<readonly [string, string]> = Array.isArray(query)
    ? (query as ReadonlyArray<readonly [string, string]>)
    : Object.entries(query as Record<string, string | readonly string[]>).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v] as const] : v.map((x) => [k, x] as const)));
  if (pairs.length === 0) return { query: {}, maskedFields: [] };
  const { values, fields } = maskParams(pairs, fieldMatcherFor(operation, QUERY_ONLY_FIELDS), false);
  // A Map, then fromEntries: a parameter called `__proto__` stays a plain key.
  const byName = new Map<string, string | string[]>();
  pairs.forEach(([name], i) => {
    const value = values[i] as string;
    const seen = byName.get(name);
    if (seen === undefined) byName.set(name, value);
    else if (Array.isArray(seen)) seen.push(value);
    else byName.set(name, [seen, value]);
  });
  return { query: Object.fromEntries(byName), maskedFields: fields };
}

/** SigV2 presigned URLs sign with `Signature=`; in bodies that name means a public KMS signature, so only queries hide it. */
const QUERY_ONLY_FIELDS: readonly string[] = ['Signature'];
