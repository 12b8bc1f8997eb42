import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { SigningKeyCache, type Logger, type SigningCredentials } from '@agentrail/core';
import { stsQuery } from '../identity/sts-query.js';

/** Who a role session is for: SourceIdentity and the session tags come from it. */
export interface RoleSubject {
  roleArn: string;
  /** Put into SourceIdentity (when asked for), so CloudTrail shows the human. */
  sourceIdentity?: string;
  session: string;
  chain: readonly { type: string; name: string }[];
}

interface Entry {
  creds?: SigningCredentials & { expiration: Date };
  pending?: Promise<SigningCredentials>;
  timer?: NodeJS.Timeout;
  lastUsed: number;
}

/** Refresh this long before expiry, in the background. */
const REFRESH_BEFORE_MS = 10 * 60_000;
const DURATION_SECONDS = 3600;
/** Role sessions idle this long are dropped instead of refreshed. */
const IDLE_MS = 2 * 3600_000;

/**
 * Credentials for `upstream.roleArn` policies: STS AssumeRole with
 * `SourceIdentity` = the initiator and session tags `agentrail:chain` and
 * `agentrail:session`, so CloudTrail too shows who started the work and
 * through which agents. One role session per (role, AgentRail session):
 * the first call of a session waits for AssumeRole once; after that the
 * credentials come from memory and are refreshed in the background before
 * they expire — no STS call on the request path in steady state.
 */
export class RoleCredentials {
  private readonly entries = new Map<string, Entry>();
  private readonly keys = new SigningKeyCache();
  private stopped = false;

  constructor(private readonly opts: {
    base: () => SigningCredentials | undefined;
    region: string;
    endpoint?: string;
    dispatcher: Dispatcher;
    logger: Logger;
    now?: () => number;
    /** Called for every AssumeRole (tests and metrics count them). */
    onAssume?: (roleArn: string) => void;
  }) {}

  /** Cached credentials for the subject, or one AssumeRole when there are none yet. */
  get(subject: RoleSubject): Promise<SigningCredentials> | SigningCredentials {
    const key = `${subject.roleArn}\n${subject.session}`;
    let entry = this.entries.get(key);
    const now = this.now();
    if (entry === undefined) {
      entry = { lastUsed: now };
      this.entries.set(key, entry);
    }
    entry.lastUsed = now;
    if (entry.creds !== undefined && entry.creds.expiration.getTime() > now + 60_000) return entry.creds;
    entry.pending ??= this.assume(key, entry, subject);
    return entry.pending;
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) if (e.timer !== undefined) clearTimeout(e.timer);
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private async assume(key: string, entry: Entry, subject: RoleSubject): Promise<SigningCredentials> {
    try {
      const creds = await this.assumeRole(subject);
      entry.creds = creds;
      this.schedule(key, entry, subject);
      return creds;
    } finally {
      entry.pending = undefined;
    }
  }

  private schedule(key: string, entry: Entry, subject: RoleSubject): void {
    if (this.stopped || entry.creds === undefined) return;
    const due = Math.max(1000, entry.creds.expiration.getTime() - REFRESH_BEFORE_MS - this.now());
    entry.timer = setTimeout(() => {
      if (this.now() - entry.lastUsed > IDLE_MS) { this.entries.delete(key); return; }
      entry.pending ??= this.assume(key, entry, subject).catch((err: unknown) => {
        this.opts.logger.warn('role credentials refresh failed; retrying', { roleArn: subject.roleArn, error: String(err) });
        entry.timer = setTimeout(() => this.schedule(key, entry, subject), 5000);
        entry.timer.unref();
        return entry.creds as SigningCredentials;
      });
    }, due);
    entry.timer.unref();
  }

  private async assumeRole(subject: RoleSubject): Promise<SigningCredentials & { expiration: Date }> {
    const base = this.opts.base();
    if (base === undefined) throw new Error('the gateway has no valid AWS credentials to assume roles with');
    this.opts.onAssume?.(subject.roleArn);
    const params: [string, string][] = [
      ['Action', 'AssumeRole'], ['Version', '2011-06-15'], ['RoleArn', subject.roleArn],
      ['RoleSessionName', roleSessionName(subject.session)], ['DurationSeconds', String(DURATION_SECONDS)],
      ['Tags.member.1.Key', 'agentrail:chain'], ['Tags.member.1.Value', tagValue(subject.chain.map((a) => a.name).join(' / '))],
      ['Tags.member.2.Key', 'agentrail:session'], ['Tags.member.2.Value', tagValue(subject.session)],
    ];
    if (subject.sourceIdentity !== undefined) params.push(['SourceIdentity', sourceIdentity(subject.sourceIdentity)]);
    const answer = await stsQuery(params, base, { region: this.opts.region, endpoint: this.opts.endpoint, dispatcher: this.opts.dispatcher, keys: this.keys });
    const { field } = answer;
    if (answer.status !== 200) throw new Error(`STS AssumeRole ${subject.roleArn} failed: ${field('Code') ?? `HTTP ${answer.status}`}: ${field('Message') ?? ''}`);
    const accessKeyId = field('AccessKeyId');
    const secretAccessKey = field('SecretAccessKey');
    const sessionToken = field('SessionToken');
    const expiration = field('Expiration');
    if (accessKeyId === undefined || secretAccessKey === undefined || sessionToken === undefined || expiration === undefined) {
      throw new Error(`STS AssumeRole ${subject.roleArn} answered without credentials`);
    }
    return { accessKeyId, secretAccessKey, sessionToken, expiration: new Date(expiration) };
  }
}

/** RoleSessionName: 2-64 of [\w+=,.@-]; the AgentRail session id fits. */
function roleSessionName(session: string): string {
  const s = session.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
  return s.length >= 2 ? s : `agentrail-${createHash('sha256').update(session).digest('hex').slice(0, 16)}`;
}

/** SourceIdentity: 2-64 of [\w+=,.@-]; an ARN's ':' and '/' become '-'. */
function sourceIdentity(initiator: string): string {
  const s = initiator.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
  return s.length >= 2 ? s : `${s}--`.slice(0, 2);
}

/** Session tag values: at most 256 of letters, digits, spaces and _.:/=+-@. */
function tagValue(v: string): string {
  return v.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, 256);
}
