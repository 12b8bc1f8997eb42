import type { Command } from 'commander';
import { MAX_LIMIT, parseTimeBound, type SearchQuery, type SessionQuery } from '@agentrail/collector';
import type { AuditEventType, DecisionAction } from '@agentrail/core';
import { CliUsageError } from './command-errors.js';

/**
 * The filter flags shared by `search`, `tail`, `export` (events) and
 * `sessions`, and their translation into store queries. Every value is
 * checked here, before any store is opened, and a bad one names its flag.
 */

const DECISIONS: readonly DecisionAction[] = ['Allow', 'Deny', 'RequireApproval'];
const EVENT_TYPES: readonly AuditEventType[] = ['session.started', 'aws.call', 'session.ended', 'audit.degraded'];

/** Flags as commander hands them over. */
export interface FilterFlags {
  initiator?: string;
  agent?: string;
  chain?: string;
  session?: string;
  descendants?: boolean;
  namespace?: string;
  service?: string;
  operation?: string;
  resource?: string;
  decision?: string;
  type?: string;
  since?: string;
  until?: string;
  limit?: string;
  roots?: boolean;
}

/** `--initiator`, `--agent`, `--chain`, `--namespace`, `--since` (and `--until`): who and when. */
function addWhoWhenOptions(cmd: Command, until: boolean): void {
  cmd
    .option('--initiator <name>', 'the human or system that started the work')
    .option('--agent <name>', 'sessions whose chain has this Agent')
    .option('--chain <actor>', "any chain member: a name, or 'Type name' (Pod agents/planner)")
    .option('--namespace <ns>', 'Kubernetes namespace')
    .option('--since <time>', 'RFC 3339 time, or a duration back from now: 15m, 2h, 7d');
  if (until) cmd.option('--until <time>', 'RFC 3339 time, or a duration back from now');
}

/** Adds the event filters; `tail` has no `--until` or `--limit`, it runs until stopped. */
export function addEventFilterOptions(cmd: Command, opts: { until: boolean; limit: boolean }): Command {
  addWhoWhenOptions(cmd, opts.until);
  cmd
    .option('--session <id>', 'events of this session')
    .option('--descendants', 'with --session: its delegated sessions too')
    .option('--service <prefix>', 'IAM service prefix (s3, iam, …)')
    .option('--operation <glob>', 'service:Operation, * globs allowed (s3:Get*, *:Delete*)')
    .option('--resource <arn>', 'resource ARN; a trailing * matches by prefix')
    .option('--decision <action>', 'Allow | Deny | RequireApproval')
    .option('--type <type>', EVENT_TYPES.join(' | '));
  if (opts.limit) cmd.option('--limit <n>', `at most this many events (1–${MAX_LIMIT.toLocaleString('en-US')})`);
  return cmd;
}

/** Adds the session filters of `agentrail sessions`. */
export function addSessionFilterOptions(cmd: Command): Command {
  addWhoWhenOptions(cmd, true);
  return cmd.option('--roots', 'only root sessions (no parent)').option('--limit <n>', `at most this many sessions (1–${MAX_LIMIT.toLocaleString('en-US')})`);
}

/**
 * Event flags (and free-text words) → SearchQuery.
 *
 * @throws CliUsageError naming the flag whose value is wrong
 */
export function eventQueryFromFlags(flags: FilterFlags, words: readonly string[], now: Date): SearchQuery {
  const q: SearchQuery = { ...whoWhen(flags, now) };
  setString(q, 'session', flags.session, '--session');
  if (flags.descendants === true) {
    if (q.session === undefined) throw new CliUsageError('--descendants: only meaningful together with --session');
    q.includeDescendants = true;
  }
  setString(q, 'service', flags.service, '--service');
  setString(q, 'operation', flags.operation, '--operation');
  setString(q, 'resource', flags.resource, '--resource');
  if (flags.decision !== undefined) q.decision = oneOf('--decision', flags.decision, DECISIONS);
  if (flags.type !== undefined) q.type = oneOf('--type', flags.type, EVENT_TYPES);
  if (flags.limit !== undefined) q.limit = parseLimit(flags.limit);
  const text = words.join(' ').trim();
  if (text !== '') q.text = text;
  return q;
}

/**
 * Session flags → SessionQuery.
 *
 * @throws CliUsageError naming the flag whose value is wrong
 */
export function sessionQueryFromFlags(flags: FilterFlags, now: Date): SessionQuery {
  const q: SessionQuery = { ...whoWhen(flags, now) };
  if (flags.roots === true) q.rootsOnly = true;
  if (flags.limit !== undefined) q.limit = parseLimit(flags.limit);
  return q;
}

function whoWhen(flags: FilterFlags, now: Date): SearchQuery & SessionQuery {
  const q: SearchQuery & SessionQuery = {};
  setString(q, 'initiator', flags.initiator, '--initiator');
  setString(q, 'agent', flags.agent, '--agent');
  setString(q, 'chainMember', flags.chain, '--chain');
  setString(q, 'namespace', flags.namespace, '--namespace');
  if (flags.since !== undefined) q.since = parseTime('--since', flags.since, now);
  if (flags.until !== undefined) q.until = parseTime('--until', flags.until, now);
  if (q.since !== undefined && q.until !== undefined && q.since > q.until) {
    throw new CliUsageError(`--since (${q.since.toISOString()}) is after --until (${q.until.toISOString()})`);
  }
  return q;
}

/** `--since`/`--until`: RFC 3339, a date, or `15m`/`2h`/`7d` back from now. */
export function parseTime(flag: string, value: string, now: Date): Date {
  try {
    return parseTimeBound(value, now);
  } catch (err) {
    throw new CliUsageError(`${flag}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** `--limit`: a whole number from 1 to 10,000. */
export function parseLimit(value: string): number {
  const n = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_LIMIT)) throw new CliUsageError(`--limit: ${JSON.stringify(value)} is not a whole number from 1 to ${MAX_LIMIT}`);
  return n;
}

/** Matches case-insensitively (`deny` → `Deny`): the spelling is the store's, the typing the user's. */
function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  const match = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (match === undefined) throw new CliUsageError(`${flag}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  return match;
}

function setString<Q extends object, K extends keyof Q>(q: Q, key: K, value: string | undefined, flag: string): void {
  if (value === undefined) return;
  if (value.trim() === '') throw new CliUsageError(`${flag}: empty; leave the flag out instead`);
  q[key] = value as Q[K];
}
