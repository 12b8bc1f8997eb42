import type { AwsCallerError } from '../errors.js';
import { isS3Dialect, queryCodeOf } from './aws-error-codes.js';
import { modelsForService } from './service-catalog.js';
import type { AwsProtocol } from './types.js';

/** An HTTP response ready to write. */
export interface RenderedAwsError {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Options of `renderAwsError`. */
export interface RenderAwsErrorOptions {
  /** IAM prefix or signing name of the service: picks S3's dialect, the JSON version, the query namespace. */
  service?: string | undefined;
  /** Request method: answers to HEAD carry no body (S3 SDKs then read the status). */
  method?: string | undefined;
}

const CORAL = 'com.amazon.coral.service';
const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

/**
 * Renders an AWS error exactly as the service's protocol sends it, so SDKs parse
 * it into their usual error (boto3 `ClientError` code, JS SDK `err.name`):
 *
 * - S3 (rest-xml): `<Error><Code/><Message/><RequestId/><HostId/></Error>` with `x-amz-request-id`;
 * - other rest-xml (Route 53, CloudFront) and query: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`;
 * - EC2: `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`;
 * - JSON: `{"__type","message"}`, `application/x-amz-json-1.x`, `x-amzn-ErrorType`, and
 *   `x-amzn-query-error` for query-compatible services (SQS);
 * - REST-JSON: `x-amzn-ErrorType` + `{"message"}`;
 * - RPC v2 CBOR: a CBOR map `{__type, message}`.
 *
 * Every answer carries `x-amzn-RequestId`.
 */
export function renderAwsError(err: AwsCallerError, protocol: AwsProtocol, requestId: string, opts: RenderAwsErrorOptions = {}): RenderedAwsError {
  const type = err.sender ? 'Sender' : 'Receiver';
  const model = opts.service !== undefined && opts.service !== '' ? modelsForService(opts.service)[0] : undefined;
  const headers: Record<string, string> = { 'x-amzn-RequestId': requestId };
  let body: Buffer;
  switch (protocol) {
    case 'rest-xml':
      if (isS3Dialect(opts.service)) {
        const hostId = Buffer.from(requestId).toString('base64');
        headers['content-type'] = 'application/xml';
        headers['x-amz-request-id'] = requestId;
        headers['x-amz-id-2'] = hostId;
        body = xml(`<Error>${el('Code', err.awsCode)}${el('Message', err.message)}${el('RequestId', requestId)}${el('HostId', hostId)}</Error>`);
        break;
      }
      headers['content-type'] = 'text/xml';
      body = xml(errorResponse(err, type, requestId, namespace(model, opts.service)));
      break;
    case 'query':
      headers['content-type'] = 'text/xml';
      body = xml(errorResponse(err, type, requestId, namespace(model, opts.service)));
      break;
    case 'ec2':
      headers['content-type'] = 'text/xml;charset=UTF-8';
      body = xml(`<Response><Errors><Error>${el('Code', err.awsCode)}${el('Message', err.message)}</Error></Errors>${el('RequestID', requestId)}</Response>`);
      break;
    case 'json':
      headers['content-type'] = `application/x-amz-json-${model?.data.jsonVersion ?? '1.1'}`;
      headers['x-amzn-ErrorType'] = `${err.awsCode}:http://internal.amazon.com/coral/${CORAL}/`;
      if (model?.data.queryCompatible === true) headers['x-amzn-query-error'] = `${queryCodeOf(err)};${type}`;
      body = Buffer.from(JSON.stringify({ __type: `${CORAL}#${err.awsCode}`, message: err.message }));
      break;
    case 'rest-json':
      headers['content-type'] = 'application/json';
      headers['x-amzn-ErrorType'] = err.awsCode;
      body = Buffer.from(JSON.stringify({ message: err.message }));
      break;
    case 'smithy-rpc-v2-cbor':
      headers['content-type'] = 'application/cbor';
      headers['smithy-protocol'] = 'rpc-v2-cbor';
      if (model?.data.queryCompatible === true) headers['x-amzn-query-error'] = `${queryCodeOf(err)};${type}`;
      body = cborTextMap([
        ['__type', `${CORAL}#${err.awsCode}`],
        ['message', err.message],
      ]);
      break;
  }
  if (opts.method !== undefined && opts.method.toUpperCase() === 'HEAD') body = Buffer.alloc(0);
  headers['content-length'] = String(body.length);
  return { status: err.status, headers, body };
}

function errorResponse(err: AwsCallerError, type: string, requestId: string, ns: string | undefined): string {
  const open = ns === undefined ? '<ErrorResponse>' : `<ErrorResponse xmlns="${escapeXml(ns)}">`;
  return `${open}<Error>${el('Type', type)}${el('Code', err.awsCode)}${el('Message', err.message)}</Error>${el('RequestId', requestId)}</ErrorResponse>`;
}

/** The XML namespace query services answer in (`https://iam.amazonaws.com/doc/2010-05-08/`). */
function namespace(model: ReturnType<typeof modelsForService>[number] | undefined, service: string | undefined): string | undefined {
  if (model === undefined) return undefined;
  // SQS kept its original namespace host.
  const host = service === 'sqs' || model.id === 'sqs' ? 'queue' : model.endpointPrefix;
  return `https://${host}.amazonaws.com/doc/${model.data.apiVersion}/`;
}

const xml = (content: string): Buffer => Buffer.from(XML_DECL + content);
const el = (name: string, text: string): string => `<${name}>${escapeXml(text)}</${name}>`;

// Characters XML 1.0 cannot carry at all, even escaped.
const XML_INVALID = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const XML_SPECIAL = /[&<>"']/g;
const XML_ENTITY: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for XML element content or attribute values. */
export function escapeXml(text: string): string {
  return text.replace(XML_INVALID, '\uFFFD').replace(XML_SPECIAL, (c) => XML_ENTITY[c] as string);
}

/** CBOR (RFC 8949) map of text strings: all an RPC v2 error body needs. */
function cborTextMap(entries: ReadonlyArray<readonly [string, string]>): Buffer {
  const parts: Buffer[] = [head(5, entries.length)];
  for (const [k, v] of entries) {
    for (const s of [k, v]) {
      const bytes = Buffer.from(s, 'utf8');
      parts.push(head(3, bytes.length), bytes);
    }
  }
  return Buffer.concat(parts);
}

/** A CBOR item head: major type and length argument. */
function head(major: number, n: number): Buffer {
  const m = major << 5;
  if (n < 24) return Buffer.from([m | n]);
  if (n < 0x100) return Buffer.from([m | 24, n]);
  if (n < 0x10000) return Buffer.from([m | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = m | 26;
  b.writeUInt32BE(n, 1);
  return b;
}
