/**
 * The test upstream's object store: object bodies live in temporary files (a
 * 100 MB upload never sits in memory), metadata in maps. Enough S3 for the
 * clients the tests run: put/get/head/delete, a flat listing and multipart
 * uploads (CLI `s3 cp` and `@aws-sdk/lib-storage` switch to multipart for large
 * files).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';

/** An object as the upstream stored it. */
export interface StoredObject {
  /** The request path it was stored under, as sent (percent-encoded). */
  path: string;
  bytes: number;
  /** Hex SHA-256 of the stored (decoded) body. */
  sha256: string;
  /** Hex MD5, the ETag of a single-part object. */
  md5: string;
  /** Checksums the upload carried and the upstream verified, by header name. */
  checksums: Record<string, string>;
  contentType?: string;
  /** Number of parts for a multipart upload. */
  parts?: number;
  /** Where the body lives on disk. */
  file: string;
}

interface Upload {
  path: string;
  contentType?: string;
  parts: Map<number, StoredObject>;
}

/** Object bodies and metadata, by raw request path. */
export class ObjectStore {
  private readonly objects = new Map<string, StoredObject>();
  private readonly uploads = new Map<string, Upload>();
  private counter = 0;

  constructor(private readonly dir: string) {}

  /** A fresh file name for a body being received. */
  tempFile(): string {
    return join(this.dir, `body-${++this.counter}`);
  }

  get(path: string): StoredObject | undefined {
    return this.objects.get(path);
  }

  /** Stores an object, replacing (and deleting the file of) any previous one. */
  async put(object: StoredObject): Promise<void> {
    const previous = this.objects.get(object.path);
    this.objects.set(object.path, object);
    if (previous !== undefined && previous.file !== object.file) await rm(previous.file, { force: true });
  }

  async delete(path: string): Promise<void> {
    const previous = this.objects.get(path);
    this.objects.delete(path);
    if (previous !== undefined) await rm(previous.file, { force: true });
  }

  /** Objects of a bucket (`/bucket`) whose decoded key starts with `prefix`, by key. */
  list(bucketPath: string, prefix: string): Array<{ key: string; object: StoredObject }> {
    const start = `${bucketPath}/`;
    const found: Array<{ key: string; object: StoredObject }> = [];
    for (const [path, object] of this.objects) {
      if (!path.startsWith(start)) continue;
      const key = decodeURIComponent(path.slice(start.length));
      if (key.startsWith(prefix)) found.push({ key, object });
    }
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  createUpload(path: string, contentType: string | undefined): string {
    const id = randomUUID();
    this.uploads.set(id, { path, contentType, parts: new Map() });
    return id;
  }

  hasUpload(id: string, path: string): boolean {
    return this.uploads.get(id)?.path === path;
  }

  async putPart(id: string, partNumber: number, part: StoredObject): Promise<void> {
    const upload = this.uploads.get(id);
    if (upload === undefined) {
      await rm(part.file, { force: true });
      return;
    }
    const previous = upload.parts.get(partNumber);
    upload.parts.set(partNumber, part);
    if (previous !== undefined) await rm(previous.file, { force: true });
  }

  /** Joins the parts in part-number order into one object, streaming file to file. */
  async complete(id: string): Promise<StoredObject | undefined> {
    const upload = this.uploads.get(id);
    if (upload === undefined) return undefined;
    this.uploads.delete(id);
    const file = this.tempFile();
    const out = createWriteStream(file);
    const sha256 = createHash('sha256');
    const md5s = createHash('md5');
    let bytes = 0;
    const numbers = [...upload.parts.keys()].sort((a, b) => a - b);
    for (const n of numbers) {
      const part = upload.parts.get(n) as StoredObject;
      md5s.update(Buffer.from(part.md5, 'hex'));
      for await (const piece of createReadStream(part.file)) {
        const buf = piece as Buffer;
        sha256.update(buf);
        bytes += buf.length;
        if (!out.write(buf)) await once(out, 'drain');
      }
      await rm(part.file, { force: true });
    }
    out.end();
    await once(out, 'finish');
    const object: StoredObject = {
      path: upload.path,
      bytes,
      sha256: sha256.digest('hex'),
      // S3's multipart ETag: MD5 of the parts' MD5s, then the part count.
      md5: `${md5s.digest('hex')}-${numbers.length}`,
      checksums: {},
      contentType: upload.contentType,
      parts: numbers.length,
      file,
    };
    await this.put(object);
    return object;
  }

  async abort(id: string): Promise<void> {
    const upload = this.uploads.get(id);
    this.uploads.delete(id);
    for (const part of upload?.parts.values() ?? []) await rm(part.file, { force: true });
  }
}
