import type { Actor, AuditEvent } from '@agentrail/core';

/**
 * What free text searches, and how queries are made of a person's words.
 *
 * Index: FTS5 `unicode61 remove_diacritics 2`, contentless, `detail=none`.
 * Measured on 100k realistic 1.4 KB calls (the events of bench/collector.mjs):
 * detail=full cost 157 B/event, detail=column 131 B, detail=none 93 B;
 * trigram indexes every 3-character window, roughly three times detail=full.
 * With blocks at ~260 B/event, only detail=none keeps the store within
 * 500 B/event. detail=none stores which events hold a token, not where, so
 * FTS5 can only AND tokens; phrases ("my-bucket", "access denied") are
 * checked again on the decoded event by `hasPhrase`, which gives the answers
 * of FTS5 phrases at the cost of reading the candidates. Substrings inside a
 * token ("ucket") are not found — what trigram would add — but the usual
 * needs, ARN prefixes and operation globs, have their own filters.
 *
 * Chain names are not in the events' index: they repeat on every event of a
 * session and cost 45 B/event and 20% of ingest. They are indexed once per
 * session (`sessions_fts`), and a word found there matches that session's
 * events (search-plan.ts).
 *
 * The indexed text of an event is derived from the event (`eventText`), and
 * retention deletes index entries by re-deriving it (contentless tables need
 * the deleted text): changing `eventText` needs a schema migration that
 * rebuilds `events_fts`.
 */

/** How much of each body excerpt is indexed: bodies are mostly ids and numbers after the first lines. */
const BODY_CHARS = 1024;
const TOKEN = /[\p{L}\p{N}\p{Co}]+/gu;
const MARKS = /\p{M}/gu;
const TOKEN_CHAR_AT_END = /[\p{L}\p{N}\p{Co}]$/u;
const ASCII_TOKEN = /^[a-z0-9]+$/;

/** Tokens as unicode61 with remove_diacritics 2 makes them: letters, digits and private-use characters, case-folded, diacritics removed. */
export function tokenize(text: string): string[] {
  return text.normalize('NFD').replace(MARKS, '').toLowerCase().match(TOKEN) ?? [];
}

/**
 * An ARN as indexed: service and resource, without `arn:`, partition, region
 * and account, which nearly every event shares and which would cost index
 * space without telling events apart.
 */
export function resourceText(arn: string): string {
  const parts = arn.split(':');
  if (parts[0] !== 'arn' || parts.length < 6) return arn;
  return `${parts[2] ?? ''} ${parts.slice(5).join(':')}`;
}

/** The indexed text of an event: operation, resources, error code and message, body excerpts, reasons. */
export function eventText(e: AuditEvent): string {
  switch (e.type) {
    case 'aws.call': {
      const parts = [qualifiedOperation(e.aws.service, e.aws.operation)];
      for (const r of e.aws.resources ?? []) parts.push(resourceText(r));
      // Typed as strings, but events come off the wire: anything else is left out rather than thrown on.
      const texts: unknown[] = [e.response.errorCode, e.response.errorMessage, e.request.body?.text, e.response.body?.text];
      for (const t of texts) if (typeof t === 'string') parts.push(t.slice(0, BODY_CHARS));
      return parts.join(' ');
    }
    case 'session.ended':
    case 'audit.degraded':
      return typeof e.reason === 'string' ? e.reason : '';
    default:
      return '';
  }
}

/** The indexed text of a session: who started it and every actor of its chain. */
export function sessionText(initiator: string, chain: readonly Actor[]): string {
  return [initiator, ...chain.map((a) => a.name)].join(' ');
}

/** A run of tokens that must appear together; with `prefix`, the last one may be the start of a token. */
export interface Phrase {
  tokens: string[];
  prefix: boolean;
}

/**
 * A person's free text as phrases that must all match: words separated by
 * white space, or "a quoted group". Every other character is literal —
 * `OR`, `-x`, `*`, `NEAR(` are words, not operators — and characters that
 * make no token (`*`, `-`) are ignored, so no input can change the query's
 * meaning or break its syntax.
 */
export function parseFreeText(text: string): Phrase[] {
  const phrases: Phrase[] = [];
  for (const m of text.matchAll(/"([^"]*)"?|[^\s"]+/g)) {
    const tokens = tokenize(m[1] ?? m[0]);
    if (tokens.length > 0) phrases.push({ tokens, prefix: false });
  }
  return phrases;
}

/** The phrase a resource filter looks for: an exact ARN, or an ARN prefix ending in `*`. */
export function resourcePhrase(resource: string): Phrase {
  if (!resource.endsWith('*')) return { tokens: tokenize(resourceText(resource)), prefix: false };
  const head = resource.slice(0, -1);
  const parts = head.split(':');
  if (parts[0] === 'arn' && parts.length < 6) {
    // The prefix ends in the partition, service, region or account: only a complete service name is indexed.
    if (parts.length === 3) return { tokens: tokenize(parts[2] ?? ''), prefix: true };
    return { tokens: parts.length > 3 ? tokenize(parts[2] ?? '') : [], prefix: false };
  }
  return { tokens: tokenize(parts[0] === 'arn' ? resourceText(head) : head), prefix: TOKEN_CHAR_AT_END.test(head) };
}

/**
 * An FTS5 MATCH expression requiring tokens of the phrases, or undefined when
 * none can narrow the search. Each token is double-quoted (tokens hold only
 * letters and digits, so nothing can escape the quotes); a prefix phrase puts
 * `*` after its last token. Only ASCII tokens are sent: SQLite tokenizes with
 * Unicode 6.1 tables, and a newer letter it splits would turn a quoted token
 * into a phrase, which detail=none refuses. The phrase check on the decoded
 * events covers the tokens left out.
 */
export function ftsExpression(phrases: readonly Phrase[]): string | undefined {
  const terms: string[] = [];
  for (const p of phrases) {
    p.tokens.forEach((t, i) => {
      if (ASCII_TOKEN.test(t)) terms.push(p.prefix && i === p.tokens.length - 1 ? `"${t}"*` : `"${t}"`);
    });
  }
  return terms.length > 0 ? terms.join(' AND ') : undefined;
}

/** True when `phrase` occurs as consecutive tokens of `tokens`. */
export function hasPhrase(tokens: readonly string[], phrase: Phrase): boolean {
  const n = phrase.tokens.length;
  outer: for (let i = 0; i + n <= tokens.length; i++) {
    for (let j = 0; j < n; j++) {
      const want = phrase.tokens[j] as string;
      const got = tokens[i + j] as string;
      if (phrase.prefix && j === n - 1 ? !got.startsWith(want) : got !== want) continue outer;
    }
    return true;
  }
  return n === 0;
}

/** `aws.operation` is `service:Operation` (schema v1); a bare name (older writers, hand-made events) is qualified with the service. */
export function qualifiedOperation(service: string, operation: string): string {
  return operation.includes(':') ? operation : `${service}:${operation}`;
}
