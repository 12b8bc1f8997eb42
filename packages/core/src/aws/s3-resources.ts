import { decode, isArn, label, type ResourceContext } from './resource-context.js';

// DeleteObjects names its keys in an XML body; more than S3's 1,000 is malformed.
const MAX_DELETE_KEYS = 1000;
const KEY_ELEMENT = /<(?:[\w.-]+:)?Key>([\s\S]*?)<\/(?:[\w.-]+:)?Key>/g;
const ENTITY = /&(?:#x([0-9a-fA-F]+)|#(\d+)|(amp|lt|gt|quot|apos));/g;
const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * S3 resources: the bucket, the object (`bucket/key`), the copy or rename source,
 * the keys of a DeleteObjects body; access points and directory buckets in their
 * own ARN forms. The request has already been turned into path style.
 */
export function s3Resources(ctx: ResourceContext): string[] {
  const bucket = label(ctx, 'Bucket');
  if (bucket === undefined || bucket === '') return [];
  const key = label(ctx, 'Key');
  const out: string[] = [];
  const accessPoint = ctx.host?.accessPoint;
  if (accessPoint !== undefined) {
    const ap = `arn:${ctx.partition}:s3:${ctx.region}:${accessPoint.account}:accesspoint/${accessPoint.name}`;
    out.push(key === undefined ? ap : `${ap}/object/${key}`);
    return out;
  }
  if (ctx.service === 's3express') {
    // Directory buckets are authorised per bucket (CreateSession), never per key.
    out.push(`arn:${ctx.partition}:s3express:${ctx.region}:${ctx.account}:bucket/${bucket}`);
    return out;
  }
  const bucketArn = `arn:${ctx.partition}:s3:::${bucket}`;
  out.push(key === undefined ? bucketArn : `${bucketArn}/${key}`);
  for (const header of ['x-amz-copy-source', 'x-amz-rename-source']) {
    const source = ctx.req.headers[header];
    if (source !== undefined && key !== undefined) out.push(sourceArn(ctx, source, bucket));
  }
  if (ctx.operation === 'DeleteObjects') out.push(...deletedKeys(ctx, bucketArn));
  return out;
}

/** `x-amz-copy-source: /bucket/key?versionId=…` (URL-encoded), or an access point ARN. */
function sourceArn(ctx: ResourceContext, header: string, bucket: string): string {
  const q = header.indexOf('?');
  const path = decode(q === -1 ? header : header.slice(0, q));
  const trimmed = path.startsWith('/') ? path.slice(1) : path;
  if (isArn(trimmed)) return trimmed;
  const slash = trimmed.indexOf('/');
  // A rename source is a key in the same bucket.
  if (slash === -1) return `arn:${ctx.partition}:s3:::${bucket}/${trimmed}`;
  return `arn:${ctx.partition}:s3:::${trimmed}`;
}

/**
 * Object ARNs from a DeleteObjects body. When the body is not at hand, or holds
 * something this small scanner will not vouch for (CDATA, markup inside a key),
 * the answer is `bucket/*`: every key, so a Deny on some keys still applies.
 */
function deletedKeys(ctx: ResourceContext, bucketArn: string): string[] {
  const body = ctx.req.body;
  const all = `${bucketArn}/*`;
  // aws-chunked framing could split a key across chunks: do not read through it.
  const chunked = (ctx.req.headers['content-encoding'] ?? '').includes('aws-chunked') || (ctx.req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
  if (body === undefined || body.length === 0 || chunked) return [all];
  const xml = body.toString('utf8');
  const out: string[] = [];
  KEY_ELEMENT.lastIndex = 0;
  for (let m = KEY_ELEMENT.exec(xml); m !== null; m = KEY_ELEMENT.exec(xml)) {
    let text = m[1] as string;
    if (text.startsWith('<![CDATA[') && text.endsWith(']]>') && !text.slice(9, -3).includes(']]>')) text = text.slice(9, -3);
    else if (text.includes('<')) return [all];
    else text = text.replace(ENTITY, unescapeEntity);
    out.push(`${bucketArn}/${text}`);
    if (out.length > MAX_DELETE_KEYS) return [all];
  }
  return out.length > 0 ? out : [all];
}

function unescapeEntity(_: string, hex: string | undefined, dec: string | undefined, named: string | undefined): string {
  if (named !== undefined) return NAMED[named] ?? '';
  const code = hex !== undefined ? parseInt(hex, 16) : Number(dec);
  return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
}
