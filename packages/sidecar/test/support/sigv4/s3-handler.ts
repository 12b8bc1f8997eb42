/**
 * The tiny S3 the test upstream plays once a request is verified.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';
import { parseQuery } from './canonical.js';
import type { ObjectStore, StoredObject } from './object-store.js';
import { echo, sendError, sendXml, xmlEscape } from './responses.js';
import type { ReceivedBody, UpstreamRequest } from './upstream-request.js';

/** Where an S3 request points: bucket, raw key, and the path-style path objects are stored under. */
export interface S3Location {
  bucket: string;
  /** The key as sent (percent-encoded); empty for bucket-level calls. */
  key: string;
  /** `/bucket/key`, whichever addressing style the request used. */
  path: string;
}

/** Virtual-hosted style: `bucket.s3.amazonaws.com`, `bucket.s3.us-east-1.amazonaws.com`, … */
const VIRTUAL_HOST = /^(.+?)\.s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?(?::\d+)?$/i;

/**
 * Finds bucket and key from the Host header (virtual-hosted style, as a proxy
 * that keeps the agent's Host sends it) or from the path (path style).
 */
export function s3Location(rec: UpstreamRequest): S3Location {
  const virtual = VIRTUAL_HOST.exec(rec.headers.host ?? '');
  if (virtual !== null) {
    const bucket = virtual[1] ?? '';
    const key = rec.path.slice(1);
    return { bucket, key, path: key === '' ? `/${bucket}` : `/${bucket}/${key}` };
  }
  const [, bucket = '', ...rest] = rec.path.split('/');
  const key = rest.join('/');
  return { bucket, key, path: key === '' ? `/${bucket}` : rec.path };
}

/** Streams a stored object (or one byte range of it) from disk; HEAD gets the headers only. */
async function sendObject(req: IncomingMessage, res: ServerResponse, rec: UpstreamRequest, object: StoredObject): Promise<void> {
  const headers: Record<string, string> = {
    etag: `"${object.md5}"`,
    'content-type': object.contentType ?? 'binary/octet-stream',
    'accept-ranges': 'bytes',
    'x-amz-request-id': randomUUID(),
  };
  if (rec.headers['x-amz-checksum-mode']?.toUpperCase() === 'ENABLED') {
    for (const [name, value] of Object.entries(object.checksums)) if (name !== 'content-md5') headers[name] = value;
  }
  let start = 0;
  let end = object.bytes - 1;
  let status = 200;
  const range = /^bytes=(\d*)-(\d*)$/.exec(rec.headers.range ?? '');
  if (range !== null && object.bytes > 0) {
    const [, from = '', to = ''] = range;
    if (from === '') start = Math.max(0, object.bytes - Number(to));
    else {
      start = Number(from);
      if (to !== '') end = Math.min(end, Number(to));
    }
    if (start > end) {
      sendError(req, res, rec, 416, 'InvalidRange', 'The requested range is not satisfiable');
      return;
    }
    status = 206;
    headers['content-range'] = `bytes ${start}-${end}/${object.bytes}`;
    // A ranged response carries no whole-object checksum.
    for (const name of Object.keys(headers)) if (name.startsWith('x-amz-checksum-')) delete headers[name];
  }
  headers['content-length'] = String(object.bytes === 0 ? 0 : end - start + 1);
  rec.status = status;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || object.bytes === 0) {
    res.end();
    return;
  }
  const stream = createReadStream(object.file, { start, end });
  stream.pipe(res);
  await once(res, 'close');
}

/**
 * Answers a verified S3 call: objects on disk (put, get with ranges, head,
 * delete), a flat listing, multipart uploads; anything else is echoed.
 */
export async function respondS3(
  store: ObjectStore,
  req: IncomingMessage,
  res: ServerResponse,
  rec: UpstreamRequest,
  body: ReceivedBody,
): Promise<void> {
  const { bucket, key, path } = s3Location(rec);
  const bucketPath = `/${bucket}`;
  const query = parseQuery(rec.query);
  const param = (name: string): string | undefined => query.find(([k]) => k === name)?.[1];
  const uploadId = param('uploadId');
  const method = req.method ?? 'GET';
  const stored = (): StoredObject => ({
    path,
    bytes: body.bytes,
    sha256: body.sha256,
    md5: body.md5,
    checksums: { ...rec.checksums },
    contentType: rec.headers['content-type'],
    file: body.file ?? '',
  });

  if (method === 'PUT' && key !== '' && body.file !== undefined) {
    const partNumber = param('partNumber');
    if (uploadId !== undefined && partNumber !== undefined) {
      if (!store.hasUpload(uploadId, path)) {
        await rm(body.file, { force: true });
        sendError(req, res, rec, 404, 'NoSuchUpload', 'The specified upload does not exist');
        return;
      }
      await store.putPart(uploadId, Number(partNumber), stored());
    } else {
      await store.put(stored());
    }
    rec.status = 200;
    res.writeHead(200, { etag: `"${body.md5}"`, 'x-amz-request-id': randomUUID(), 'content-length': '0' });
    res.end();
    return;
  }
  if (method === 'POST' && key !== '' && param('uploads') !== undefined) {
    const id = store.createUpload(path, rec.headers['content-type']);
    rec.status = 200;
    sendXml(
      res,
      200,
      `<InitiateMultipartUploadResult><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(decodeURIComponent(key))}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
    );
    return;
  }
  if (method === 'POST' && key !== '' && uploadId !== undefined) {
    const object = store.hasUpload(uploadId, path) ? await store.complete(uploadId) : undefined;
    if (object === undefined) {
      sendError(req, res, rec, 404, 'NoSuchUpload', 'The specified upload does not exist');
      return;
    }
    rec.status = 200;
    sendXml(
      res,
      200,
      `<CompleteMultipartUploadResult><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(decodeURIComponent(key))}</Key><ETag>"${object.md5}"</ETag></CompleteMultipartUploadResult>`,
    );
    return;
  }
  if ((method === 'GET' || method === 'HEAD') && key !== '') {
    const object = store.get(path);
    if (object === undefined) {
      sendError(req, res, rec, 404, 'NoSuchKey', 'The specified key does not exist.');
      return;
    }
    await sendObject(req, res, rec, object);
    return;
  }
  if (method === 'GET' && bucket !== '') {
    const prefix = param('prefix') ?? '';
    const contents = store
      .list(bucketPath, prefix)
      .map(
        ({ key: name, object }) =>
          `<Contents><Key>${xmlEscape(name)}</Key><Size>${object.bytes}</Size><ETag>"${object.md5}"</ETag><LastModified>${new Date().toISOString()}</LastModified><StorageClass>STANDARD</StorageClass></Contents>`,
      );
    rec.status = 200;
    sendXml(
      res,
      200,
      `<ListBucketResult><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${contents.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents.join('')}</ListBucketResult>`,
    );
    return;
  }
  if (method === 'DELETE') {
    if (uploadId !== undefined) await store.abort(uploadId);
    else if (key !== '') await store.delete(path);
    rec.status = 204;
    res.writeHead(204, { 'x-amz-request-id': randomUUID() });
    res.end();
    return;
  }
  if ((method === 'PUT' || method === 'HEAD') && key === '') {
    // CreateBucket / HeadBucket: buckets exist as soon as they are named.
    rec.status = 200;
    res.writeHead(200, { 'x-amz-request-id': randomUUID(), 'content-length': '0' });
    res.end();
    return;
  }
  echo(res, rec);
}
