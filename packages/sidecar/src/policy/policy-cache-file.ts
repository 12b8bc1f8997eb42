import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PolicyBundle } from '@agentrail/core';

/** The file's content: the bundles in force for one namespace when it was written. */
interface CacheContent {
  version: 1;
  namespace: string;
  savedAt: string;
  bundles: Record<string, PolicyBundle>;
}

/**
 * The last known policy bundles of a sidecar, on disk, so a sidecar that
 * starts while NATS is down enforces what it last knew instead of nothing.
 * Writes are atomic (temporary file + rename: a crash leaves the old or the
 * new file, never half of one) and serialised (the latest content wins).
 */
export class PolicyCacheFile {
  private writing: Promise<void> | undefined;
  private next: Record<string, PolicyBundle> | undefined;

  readonly path: string;
  private readonly namespace: string;

  constructor(path: string, namespace: string) {
    this.path = path;
    this.namespace = namespace;
  }

  /** The cached bundles by key; undefined when there is no cache for this namespace. Throws on a corrupt file. */
  async load(): Promise<Record<string, PolicyBundle> | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const c = JSON.parse(text) as Partial<CacheContent>;
    if (c.version !== 1 || typeof c.bundles !== 'object' || c.bundles === null) throw new Error(`${this.path} is not a policy cache (version 1)`);
    // A cache from another namespace (a reused volume) says nothing about this pod.
    return c.namespace === this.namespace ? c.bundles : undefined;
  }

  /** Saves `bundles` (after any write in progress). Resolves when the latest content is on disk. */
  save(bundles: Record<string, PolicyBundle>): Promise<void> {
    this.next = bundles;
    this.writing ??= this.drain().finally(() => { this.writing = undefined; });
    return this.writing;
  }

  private async drain(): Promise<void> {
    while (this.next !== undefined) {
      const bundles = this.next;
      this.next = undefined;
      const content: CacheContent = { version: 1, namespace: this.namespace, savedAt: new Date().toISOString(), bundles };
      const tmp = `${this.path}.${process.pid}.tmp`;
      await mkdir(dirname(this.path), { recursive: true });
      await writeFile(tmp, `${JSON.stringify(content)}\n`, { mode: 0o600 });
      await rename(tmp, this.path);
    }
  }
}
