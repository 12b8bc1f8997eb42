import type { Actor, AuditEvent, ChainBreak, DecisionAction } from '@agentrail/core';

/** The page size of `search` and `sessions` when the query gives no `limit`. */
export const DEFAULT_LIMIT = 100;
/** The largest page of `search` and `sessions`. */
export const MAX_LIMIT = 10_000;

/** A query's `limit` as a page size: the default when absent, clamped to 1–{@link MAX_LIMIT}. */
export function pageLimit(limit: number | undefined): number {
  return Math.min(Math.max(Math.trunc(limit ?? DEFAULT_LIMIT), 1), MAX_LIMIT);
}

/**
 * The audit store behind the collector and local mode. SQLite (node:sqlite)
 * is the embedded implementation; the interface is what a PostgreSQL store
 * implements too. Writes are idempotent on event id; reads never return a
 * secret because events are masked before they are sealed.
 */
export interface AuditStore extends AuditReader {
  /**
   * Inserts a batch in one transaction. Events already stored (same id) are
   * skipped. Checks each event's hash and its session's chain continuity,
   * and updates the sessions view.
   */
  insert(events: readonly AuditEvent[]): InsertResult;
  /** Every stored session's chain, re-checked from the stored events. */
  verify(opts?: { session?: string; onProgress?: (done: number, total: number) => void }): VerifyReport;
  /** Events in time order (for export), lazily. */
  events(query?: SearchQuery): Iterable<AuditEvent>;
  /**
   * Deletes events older than `before`. The first remaining event of each
   * session keeps the chain verifiable: its prevHash and seq are stored as
   * the session's anchor. Sessions left with no events are removed.
   */
  prune(before: Date): { events: number; sessions: number };
  close(): void;
}

/** The query side, shared by the local store and the collector's HTTP API client. */
export interface AuditReader {
  search(query: SearchQuery): Promise<SearchResult> | SearchResult;
  sessions(query: SessionQuery): Promise<SessionSummary[]> | SessionSummary[];
  session(id: string): Promise<SessionSummary | undefined> | SessionSummary | undefined;
  /** The session, its descendants (delegations), and each session's events in seq order. */
  tree(id: string): Promise<SessionTree | undefined> | SessionTree | undefined;
}

export interface InsertResult {
  inserted: number;
  duplicates: number;
  /** Chain problems found in this batch (hash mismatches, broken links). Gaps may heal when late events arrive. */
  breaks: ChainBreak[];
}

export interface SearchQuery {
  initiator?: string;
  /** Sessions whose chain has an Agent actor of this name. */
  agent?: string;
  /** Sessions whose chain has any actor of this name (`Pod agents/planner`, `alice`, …); `Type name` or just the name. */
  chainMember?: string;
  /** A session id; with `includeDescendants`, its delegated sessions too. */
  session?: string;
  includeDescendants?: boolean;
  namespace?: string;
  /** IAM service prefix (`s3`). */
  service?: string;
  /** `s3:GetObject`; `*` globs allowed (`s3:Get*`, `*:Delete*`). */
  operation?: string;
  /** ARN; a trailing `*` matches by prefix. */
  resource?: string;
  decision?: DecisionAction;
  type?: AuditEvent['type'];
  /** Inclusive; on the time in the event id (the sidecar's clock when it sealed the event). */
  since?: Date;
  /** Exclusive, so consecutive windows do not overlap. */
  until?: Date;
  /**
   * Free text over operation, resources, error codes and messages and body
   * excerpts. Every word (or "quoted group") must appear; the tokens of one
   * word appear together and in order (`my-bucket` finds "my-bucket" and
   * "my bucket"), whole tokens only, case and accents ignored. A word naming
   * someone in a session's initiator or chain matches every event of that
   * session. Operators are not interpreted: `OR`, `-x`, `*` are plain text.
   */
  text?: string;
  /** Newest first by default. Results of one session (without descendants or text) come in seq order. */
  order?: 'asc' | 'desc';
  /** Default 100, at most 10,000. */
  limit?: number;
  /** Opaque cursor from a previous SearchResult, for the next page. */
  cursor?: string;
}

export interface SearchResult {
  events: AuditEvent[];
  /** Present when more events match. */
  nextCursor?: string;
}

export interface SessionQuery {
  initiator?: string;
  agent?: string;
  chainMember?: string;
  namespace?: string;
  since?: Date;
  until?: Date;
  /** Only root sessions (no parent). */
  rootsOnly?: boolean;
  limit?: number;
}

export type ChainStatus = 'intact' | 'gap' | 'broken';

export interface SessionSummary {
  id: string;
  parent?: string;
  initiator: string;
  chain: Actor[];
  cluster?: string;
  namespace?: string;
  pod?: string;
  host?: string;
  firstTime: string;
  lastTime: string;
  /** aws.call events stored. */
  calls: number;
  /** aws.call events whose decision was not Allow. */
  denied: number;
  ended: boolean;
  /** Highest seq stored, and the highest seq up to which the chain is verified without a gap. */
  maxSeq: number;
  verifiedSeq: number;
  chainStatus: ChainStatus;
}

export interface SessionTree {
  session: SessionSummary;
  events: AuditEvent[];
  children: SessionTree[];
}

export interface VerifyReport {
  sessions: number;
  events: number;
  breaks: ChainBreak[];
}
