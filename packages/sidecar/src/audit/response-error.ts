/**
 * The AWS error code and message of an error response, read from what the
 * services send: `x-amzn-ErrorType` (JSON and REST-JSON), `__type`/`code` in a
 * JSON body, `<Code>`/`<Message>` in an XML body (S3, query, EC2). Only the
 * captured prefix of the body is looked at; it is bounded.
 */
export function responseError(headers: Record<string, string | string[] | undefined>, body: Buffer | undefined): { code?: string; message?: string } {
  const out: { code?: string; message?: string } = {};
  const header = headerValue(headers['x-amzn-errortype']);
  if (header !== undefined) out.code = header.split(':')[0];
  if (body === undefined || body.length === 0) return out;
  const text = body.toString('utf8', 0, Math.min(body.length, 16_384)).trimStart();
  if (text.startsWith('{')) {
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      const type = json['__type'] ?? json['code'] ?? json['Code'];
      if (out.code === undefined && typeof type === 'string') out.code = type.slice(type.lastIndexOf('#') + 1);
      const message = json['message'] ?? json['Message'];
      if (typeof message === 'string') out.message = message.slice(0, 2048);
    } catch { /* a truncated or odd body: keep what the header said */ }
    return out;
  }
  if (text.startsWith('<')) {
    if (out.code === undefined) {
      const code = /<Code>([^<]{1,256})<\/Code>/.exec(text)?.[1];
      if (code !== undefined) out.code = code;
    }
    const message = /<Message>([^<]{0,2048})<\/Message>/.exec(text)?.[1];
    if (message !== undefined) out.message = unescapeXml(message);
  }
  return out;
}

/** The request id AWS assigned, from whichever header the service uses. */
export function awsRequestId(headers: Record<string, string | string[] | undefined>): string | undefined {
  return headerValue(headers['x-amzn-requestid']) ?? headerValue(headers['x-amz-request-id']) ?? headerValue(headers['x-amzn-request-id']);
}

/** A header's value (the first, when it came more than once). */
export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos);/g, (_m, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e] as string);
}
