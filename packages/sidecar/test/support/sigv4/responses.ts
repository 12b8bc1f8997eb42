/**
 * Responses of the test upstream: AWS error shapes (S3 XML, JSON with
 * `x-amzn-ErrorType` for the other services) and the JSON echo.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UpstreamRequest } from './upstream-request.js';

const XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Escapes text for an XML element. */
export function xmlEscape(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Sends an S3-style XML document. */
export function sendXml(res: ServerResponse, status: number, xml: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': randomUUID(), ...headers });
  res.end(XML_HEADER + xml);
}

/** Sends a JSON body, as the JSON and REST-JSON services do. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), ...headers });
  res.end(JSON.stringify(value));
}

/**
 * Records a refusal on `rec` and answers it in the service's error shape: S3 XML
 * (with the canonical request, as S3 does for SignatureDoesNotMatch) for S3 and
 * unsigned calls, JSON with `x-amzn-ErrorType` for the others.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, rec: UpstreamRequest, status: number, code: string, message: string): void {
  rec.status = status;
  rec.code = code;
  rec.reason = message;
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const head = req.method === 'HEAD';
  if (rec.service === 's3' || rec.service === '') {
    const canonical = rec.canonicalRequest === undefined ? '' : `<CanonicalRequest>${xmlEscape(rec.canonicalRequest)}</CanonicalRequest>`;
    const xml = `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>${canonical}<RequestId>${randomUUID()}</RequestId></Error>`;
    if (head) {
      res.writeHead(status, { 'x-amz-request-id': randomUUID() });
      res.end();
    } else sendXml(res, status, xml);
    return;
  }
  if (head) {
    res.writeHead(status, { 'x-amzn-errortype': code });
    res.end();
  } else sendJson(res, status, { __type: code, message }, { 'x-amzn-errortype': code });
}

/** Answers a verified non-S3 call with `{ ok, method, path, service, operation?, bytes, bodySha256 }`. */
export function echo(res: ServerResponse, rec: UpstreamRequest): void {
  rec.status = 200;
  sendJson(res, 200, {
    ok: true,
    method: rec.method,
    path: rec.path,
    service: rec.service,
    ...(rec.operation === undefined ? {} : { operation: rec.operation }),
    bytes: rec.bytes,
    bodySha256: rec.bodySha256,
  });
}
