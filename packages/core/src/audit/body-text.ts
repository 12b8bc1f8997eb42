import type { AwsProtocol } from '../aws/types.js';

/** How a body is read for masking. */
export type BodyFormat = 'json' | 'xml' | 'form' | 'text' | 'binary';

/** Content types that are never text, whatever their bytes look like. */
const BINARY_TYPES: ReadonlySet<string> = new Set([
  'application/octet-stream', 'binary/octet-stream', 'application/cbor', 'application/vnd.amazon.eventstream', 'application/zip', 'application/gzip',
  'application/x-gzip', 'application/x-tar', 'application/pdf', 'application/x-protobuf', 'application/x-amz-cbor-1.1',
]);
const BINARY_FAMILIES = ['image/', 'audio/', 'video/', 'font/'];

function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/**
 * Decides how to read a body: by content type when it says JSON, XML or form;
 * binary types and bytes that are not UTF-8 text are never read; otherwise
 * by the first character (an S3 object or a Lambda payload can be anything).
 * `octet-stream` is what most SDKs label any object they were not told about,
 * and is still omitted: a guess that lets binary through would put garbage —
 * or a keystore — in the trail.
 */
export function bodyFormat(input: { contentType?: string | undefined; protocol: AwsProtocol; direction: 'request' | 'response'; text: string | undefined }): BodyFormat {
  const type = mediaType(input.contentType);
  if (input.text === undefined || BINARY_TYPES.has(type) || BINARY_FAMILIES.some((f) => type.startsWith(f))) return 'binary';
  if (type === '' && input.protocol === 'smithy-rpc-v2-cbor') return 'binary';
  if (type.includes('json')) return 'json';
  if (type.includes('xml')) return 'xml';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  const first = firstNonBlank(input.text);
  if (first === '{' || first === '[') return 'json';
  if (first === '<') return 'xml';
  if (type === '' && (input.protocol === 'query' || input.protocol === 'ec2') && input.direction === 'request') return 'form';
  return 'text';
}

function firstNonBlank(text: string): string {
  for (let i = 0; i < text.length && i < 1024; i++) {
    const ch = text[i] as string;
    if (ch !== ' ' && ch !== '\n' && ch !== '\r' && ch !== '\t' && ch !== '\ufeff') return ch;
  }
  return '';
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Control characters other than tab, newline, carriage return, form feed and escape mean binary (the caller bounds the length). */
function hasBinaryControls(bytes: Uint8Array): boolean {
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const b = bytes[i] as number;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) return true;
  }
  return false;
}

/** Length of `bytes` without a UTF-8 sequence cut off at the end. */
function completeUtf8Length(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let back = 1; back <= 4 && back <= n; back++) {
    const b = bytes[n - back] as number;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

/**
 * The body as text, or undefined when it is not UTF-8 text. A `prefix` may
 * end inside a multi-byte character, which is dropped rather than taken for
 * binary.
 */
export function decodeText(bytes: Uint8Array, prefix: boolean): string | undefined {
  if (hasBinaryControls(bytes)) return undefined;
  try {
    return decoder.decode(prefix ? bytes.subarray(0, completeUtf8Length(bytes)) : bytes);
  } catch {
    return undefined;
  }
}

/** `text` cut to at most `maxBytes` of UTF-8, on a character boundary. */
export function truncateUtf8(text: string, maxBytes: number): { text: string; cut: boolean } {
  // Every UTF-16 unit is at most 3 UTF-8 bytes: short texts need no encoding.
  if (text.length * 3 <= maxBytes) return { text, cut: false };
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, cut: false };
  const head = bytes.subarray(0, maxBytes);
  return { text: head.subarray(0, completeUtf8Length(head)).toString('utf8'), cut: true };
}
