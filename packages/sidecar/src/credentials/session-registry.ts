import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Actor, Chain } from '@agentrail/core';

/** One session: a chain instance (a pod's lifetime, or one delegation inside it). */
export interface Session {
  id: string;
  parentId?: string;
  initiator: string;
  chain: Chain;
  createdAt: Date;
}

/** Ephemeral credentials handed to an agent; they only ever work against this sidecar. */
export interface EphemeralCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  session: Session;
  /** SHA-256 of the session token, kept so each call hashes only what it presented. */
  readonly tokenDigest: Buffer;
}

export interface SessionRegistryOptions {
  /** Lifetime of issued credentials. */
  ttlMs: number;
  /**
   * Issue fresh credentials when the current ones expire within this window.
   * Must exceed the SDKs' own refresh windows (botocore refreshes 15 minutes
   * before expiry), or every SDK call would fetch credentials again.
   */
  rotateBeforeMs: number;
  now?: () => number;
  /** Called for every new session (root or delegated), before its token is returned. */
  onSessionStarted?: (session: Session) => void;
  onSessionEnded?: (session: Session, reason: string) => void;
}

/** Access keys are recognisable as AgentRail's and shaped like AWS temporary keys (20 chars). */
export const ACCESS_KEY_PREFIX = 'ASIAAGRL';
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function accessKeyId(): string {
  const bytes = randomBytes(12);
  let id = ACCESS_KEY_PREFIX;
  for (const b of bytes) id += KEY_ALPHABET[b & 31];
  return id;
}

function newId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/**
 * Sessions, their bearer tokens (which the credential endpoint accepts) and the
 * ephemeral keys issued for them. A token is bound to one session, so whoever
 * holds it can only obtain credentials for that session or delegate below it:
 * the chain of a delegated session is its parent's plus the new agent, whatever
 * the caller says about itself. Expired keys are swept lazily.
 */
export class SessionRegistry {
  private readonly byKey = new Map<string, EphemeralCredentials>();
  private readonly byToken = new Map<string, { session: Session; current?: EphemeralCredentials }>();
  private readonly now: () => number;

  constructor(private readonly opts: SessionRegistryOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Creates the root session of this sidecar and returns its token. */
  createRoot(initiator: string, chain: Chain, token?: string): { session: Session; token: string } {
    return this.register({ id: newId('ses_'), initiator, chain, createdAt: new Date(this.now()) }, token);
  }

  /** A child session: the parent's chain plus `agent`. */
  delegate(parentToken: string, agent: Actor): { session: Session; token: string } | undefined {
    const parent = this.sessionForToken(parentToken);
    if (parent === undefined) return undefined;
    return this.register({
      id: newId('ses_'),
      parentId: parent.id,
      initiator: parent.initiator,
      chain: [...parent.chain, agent],
      createdAt: new Date(this.now()),
    });
  }

  /**
   * Ends the token's session: its token and keys stop working at once, and
   * so do those of every session delegated below it.
   */
  end(token: string, reason: string): Session | undefined {
    const session = this.sessionForToken(token);
    if (session === undefined) return undefined;
    const ended = new Set([session.id]);
    // Children are registered after their parents, so one pass in insertion order finds every descendant.
    for (const entry of this.byToken.values()) if (entry.session.parentId !== undefined && ended.has(entry.session.parentId)) ended.add(entry.session.id);
    for (const [digestHex, entry] of this.byToken) {
      if (!ended.has(entry.session.id)) continue;
      this.byToken.delete(digestHex);
      this.opts.onSessionEnded?.(entry.session, entry.session.id === session.id ? reason : `parent session ${session.id} ended`);
    }
    for (const [key, creds] of this.byKey) if (ended.has(creds.session.id)) this.byKey.delete(key);
    return session;
  }

  sessionForToken(token: string): Session | undefined {
    return this.byToken.get(digest(token).toString('hex'))?.session;
  }

  /**
   * Current credentials for the token's session, rotated when they are close
   * to expiry. Older credentials keep working until they expire themselves.
   */
  credentialsFor(token: string): EphemeralCredentials | undefined {
    const entry = this.byToken.get(digest(token).toString('hex'));
    if (entry === undefined) return undefined;
    const now = this.now();
    if (entry.current === undefined || entry.current.expiration.getTime() - now < this.opts.rotateBeforeMs) {
      this.sweep(now);
      const sessionToken = randomBytes(48).toString('base64');
      entry.current = {
        accessKeyId: accessKeyId(),
        secretAccessKey: randomBytes(30).toString('base64'),
        sessionToken,
        expiration: new Date(now + this.opts.ttlMs),
        session: entry.session,
        tokenDigest: digest(sessionToken),
      };
      this.byKey.set(entry.current.accessKeyId, entry.current);
    }
    return entry.current;
  }

  /** Credentials by access key, or undefined for keys this sidecar never issued. */
  lookup(accessKeyId: string): EphemeralCredentials | undefined {
    return this.byKey.get(accessKeyId);
  }

  /** Constant-time check of the session token a caller presented with a key. */
  static tokenMatches(creds: EphemeralCredentials, presented: string | undefined): boolean {
    if (presented === undefined) return false;
    return timingSafeEqual(creds.tokenDigest, digest(presented));
  }

  isExpired(creds: EphemeralCredentials): boolean {
    return creds.expiration.getTime() <= this.now();
  }

  private register(session: Session, token = randomBytes(32).toString('base64url')): { session: Session; token: string } {
    this.byToken.set(digest(token).toString('hex'), { session });
    this.opts.onSessionStarted?.(session);
    return { session, token };
  }

  private sweep(now: number): void {
    for (const [key, creds] of this.byKey) if (creds.expiration.getTime() <= now) this.byKey.delete(key);
  }
}
