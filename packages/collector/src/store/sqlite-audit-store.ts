import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { AuditEvent } from '@agentrail/core';
import type {
  AuditStore, InsertResult, SearchQuery, SearchResult, SessionQuery, SessionSummary, SessionTree, VerifyReport,
} from './audit-store.js';
import { BlockCodec } from './block-codec.js';
import { ChainVerifier } from './chain-verifier.js';
import { EventSearch } from './event-search.js';
import { EventWriter } from './event-writer.js';
import { Retention } from './retention.js';
import { SessionFinder } from './session-finder.js';
import { SessionLedger } from './session-ledger.js';
import { SessionReader } from './session-reader.js';
import { migrate } from './sqlite-schema.js';
import { AuditStoreError } from './store-error.js';
import { TermDictionary } from './term-dictionary.js';

/** Options of `SqliteAuditStore.open`. */
export interface SqliteAuditStoreOptions {
  /**
   * How long a write waits for another connection's transaction, in ms
   * (`busy_timeout`). Several local `agentrail run` processes may write one
   * file; a batch holds the lock for milliseconds. Default 10,000.
   */
  busyTimeoutMs?: number;
  /** Decompressed blocks kept in memory, ≤ 128 KiB each. Default 128. */
  cacheBlocks?: number;
  /** zstd level of stored blocks, 1 (fastest) to 19 (smallest). Default 1: level 3 cost 30% more time to compress for 2% less size. */
  compressionLevel?: number;
}

/**
 * The embedded audit store: one SQLite file (node:sqlite, WAL) that several
 * processes may write at once. See sqlite-schema.ts for the layout and its
 * sizes, event-writer.ts for ingest, search-plan.ts for how queries run.
 *
 * @example
 * ```ts
 * const store = SqliteAuditStore.open(join(homedir(), '.agentrail', 'audit.db'));
 * store.insert(events);
 * const { events: denied } = store.search({ decision: 'Deny', since: new Date(Date.now() - 3_600_000) });
 * store.close();
 * ```
 */
export class SqliteAuditStore implements AuditStore {
  private closed = false;
  private readonly writer: EventWriter;
  private readonly searcher: EventSearch;
  private readonly reader: SessionReader;
  private readonly verifier: ChainVerifier;
  private readonly retention: Retention;

  /**
   * Opens (creating when missing, with its directory) the store at `path`,
   * or an in-memory store for `':memory:'`. Migrates the schema; refuses a
   * file of a newer schema (`AUDIT_STORE_SCHEMA_TOO_NEW`).
   */
  static open(path: string, opts: SqliteAuditStoreOptions = {}): SqliteAuditStore {
    const memory = path === ':memory:';
    if (!memory) mkdirSync(dirname(path), { recursive: true });
    const busy = opts.busyTimeoutMs ?? 10_000;
    const db = new DatabaseSync(path, { timeout: busy });
    try {
      // auto_vacuum only takes effect before the first table: set on every open, it is a no-op afterwards.
      db.exec('PRAGMA auto_vacuum = INCREMENTAL');
      if (!memory) db.exec('PRAGMA journal_mode = WAL');
      // NORMAL in WAL mode: a power cut may lose the last transactions, never corrupt the file; the
      // publisher only sees its ack after commit, so lost batches are redelivered by JetStream.
      db.exec(`PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = ${Math.max(0, Math.trunc(busy))}; PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY`);
      // Ingest rewrites the same hot index pages batch after batch: a larger WAL checkpoints each of them
      // once per 40 MB instead of once per 4 MB (+4% ingest); the size limit bounds the file it leaves.
      db.exec('PRAGMA wal_autocheckpoint = 10000; PRAGMA journal_size_limit = 67108864');
      migrate(db);
      return new SqliteAuditStore(db, opts.cacheBlocks ?? 128, opts.compressionLevel ?? 1);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private constructor(private readonly db: DatabaseSync, cacheBlocks: number, level: number) {
    const codec = new BlockCodec(db, cacheBlocks, level);
    const terms = new TermDictionary(db);
    const finder = new SessionFinder(db);
    const ledger = new SessionLedger(db, codec);
    this.writer = new EventWriter(db, codec, terms, ledger);
    this.searcher = new EventSearch(db, codec, terms, finder);
    this.reader = new SessionReader(db, codec, finder);
    this.verifier = new ChainVerifier(db, level);
    this.retention = new Retention(db, codec, terms, ledger);
  }

  /**
   * Stores a batch in one transaction (see AuditStore.insert). Throws
   * `AUDIT_STORE_EVENT_INVALID`, writing nothing, when an event lacks what
   * the store keys and chains on; the error's `eventIds` names them.
   */
  insert(events: readonly AuditEvent[]): InsertResult {
    this.assertOpen();
    return this.writer.insert(events);
  }

  /**
   * Events matching every filter given, newest first by default. Throws
   * `AUDIT_STORE_CURSOR_INVALID` for a cursor of another search. Time ranges
   * are [since, until) on the time in the event id. Results of a single
   * session without free text come in seq order, which is its time order.
   */
  search(query: SearchQuery): SearchResult {
    this.assertOpen();
    return this.searcher.search(query);
  }

  sessions(query: SessionQuery): SessionSummary[] {
    this.assertOpen();
    return this.reader.sessions(query);
  }

  session(id: string): SessionSummary | undefined {
    this.assertOpen();
    return this.reader.session(id);
  }

  tree(id: string): SessionTree | undefined {
    this.assertOpen();
    return this.reader.tree(id);
  }

  /** Oldest first unless `order: 'desc'`; `limit` is honoured when given, else every matching event. */
  events(query?: SearchQuery): Iterable<AuditEvent> {
    this.assertOpen();
    return this.searcher.events(query);
  }

  verify(opts?: { session?: string; onProgress?: (done: number, total: number) => void }): VerifyReport {
    this.assertOpen();
    return this.verifier.verify(opts);
  }

  prune(before: Date): { events: number; sessions: number } {
    this.assertOpen();
    return this.retention.prune(before);
  }

  /** Closes the file; later calls are no-ops. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.exec('PRAGMA optimize'); // keeps the planner's statistics current, cheaply (SQLite's advice for long-lived connections)
    } finally {
      this.db.close();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new AuditStoreError('AUDIT_STORE_CLOSED', 'the audit store is closed');
  }
}
