import { FieldPaths, MAX_REPORTED } from './field-paths.js';
import { maskJsonFields } from './json-field-masks.js';
import { maskXmlFields } from './xml-field-masks.js';

/** Result of applyFieldMasks. */
export interface FieldMaskResult {
  /** The body to send on: the same Buffer when nothing was masked. */
  body: Buffer;
  /** Display paths of what was masked (`Parameters[].Value`), never values. */
  masked: string[];
  /**
   * The body could not be read as JSON or XML (binary, malformed, not UTF-8):
   * it is returned unchanged, and the caller decides — for `in: Response`,
   * withholding it is the safe choice.
   */
  unparsed?: true;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Masks the fields a policy names (`MaskingRule.fields`, as merged into
 * `PolicyDecision.masking.response`) in a JSON or XML body: JSON values
 * become the string `"***"` whatever their type, XML element content
 * becomes `***`. The format comes from the content type (`json`/`xml` in
 * it), else from the first character.
 *
 * The body's length changes: the caller must recompute Content-Length and
 * drop or recompute body checksums (DynamoDB's `x-amz-crc32`, S3's
 * `x-amz-checksum-*`, Content-MD5) or the SDK will reject the response.
 *
 * @example
 * applyFieldMasks(Buffer.from('{"Name":"db","SecretString":"hunter2"}'), 'application/x-amz-json-1.1', ['SecretString'])
 * // → { body: <{"Name":"db","SecretString":"***"}>, masked: ['SecretString'] }
 */
export function applyFieldMasks(body: Buffer, contentType: string | undefined, paths: readonly string[]): FieldMaskResult {
  const fields = new FieldPaths(paths);
  if (fields.empty || body.length === 0) return { body, masked: [] };
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    return { body, masked: [], unparsed: true };
  }
  const format = formatOf(contentType, text);
  const result = format === 'json' ? maskJsonFields(text, fields) : format === 'xml' ? maskXmlFields(text, fields) : undefined;
  if (result === undefined) return { body, masked: [], unparsed: true };
  if (result.masked.length === 0) return { body, masked: [] };
  return { body: Buffer.from(result.text, 'utf8'), masked: result.masked.slice(0, MAX_REPORTED) };
}

function formatOf(contentType: string | undefined, text: string): 'json' | 'xml' | undefined {
  const ct = (contentType ?? '').toLowerCase();
  if (ct.includes('json')) return 'json';
  if (ct.includes('xml')) return 'xml';
  const first = /\S/.exec(text)?.[0];
  return first === '{' || first === '[' ? 'json' : first === '<' ? 'xml' : undefined;
}
