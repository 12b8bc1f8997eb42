import type { Actor } from '../identity/chain.js';

/**
 * The audit event, version 1. `schemas/audit-event.v1.json` is the normative
 * contract for consumers outside this repository; these types are checked
 * against it (audit-event.schema.test.ts validates real events with ajv).
 *
 * Every event belongs to one session and is chained to the previous event of
 * that session: `session.hash` is SHA-256 over the RFC 8785 canonical JSON of
 * the event with `session.hash` left out (so `seq` and `prevHash` are covered).
 */
export const AUDIT_EVENT_VERSION = 1;

export type AuditEventType = 'session.started' | 'aws.call' | 'session.ended' | 'audit.degraded';

/** `prevHash` of a session's first event. */
export const GENESIS_HASH = '0'.repeat(64);

export interface SessionLink {
  id: string;
  /** The session this one was delegated from (absent for a root session). */
  parent?: string;
  /** 1, 2, 3 … without gaps within the session. */
  seq: number;
  prevHash: string;
  hash: string;
}

/** Where the calls came from. In a cluster: cluster/namespace/pod/uid; locally: host and OS user. */
export interface EventSource {
  cluster?: string;
  namespace?: string;
  pod?: string;
  uid?: string;
  host?: string;
  osUser?: string;
  /** The caller's User-Agent (calls only), truncated. */
  userAgent?: string;
}

interface EventBase {
  v: 1;
  /** ULID: unique, and sorts by time. Also the JetStream message id. */
  id: string;
  /** RFC 3339 with milliseconds, UTC. */
  time: string;
  type: AuditEventType;
  session: SessionLink;
  initiator: string;
  chain: Actor[];
  source: EventSource;
}

export interface SessionStartedEvent extends EventBase {
  type: 'session.started';
}

export interface SessionEndedEvent extends EventBase {
  type: 'session.ended';
  reason: string;
}

/** Fail-open mode let calls through while their events could not be kept. */
export interface AuditDegradedEvent extends EventBase {
  type: 'audit.degraded';
  /** Calls forwarded without an audit event since the last such event. */
  unrecordedCalls: number;
  since: string;
  until: string;
  reason: string;
}

/** Why a body excerpt has no text. */
export type BodyOmission = 'binary' | 'streamed' | 'disabled';

/** A bounded, masked excerpt of a body. `text` is absent for binary or unrecorded bodies. */
export interface BodyExcerpt {
  contentType?: string;
  /** Bytes of the whole body (as relayed). */
  bytes: number;
  truncated: boolean;
  /** The body as text after built-in masking (maskBody), at most the configured excerpt size. */
  text?: string;
  /**
   * Why there is no text: one of {@link BodyOmission} (the schema's enum).
   * Typed `string` until every producer builds it as a BodyOmission literal.
   */
  omitted?: string;
}

export type DecisionAction = 'Allow' | 'Deny' | 'RequireApproval';

export interface Decision {
  action: DecisionAction;
  policy?: string;
  rule?: string;
  /** Why the gateway decided so when no policy rule did: `authentication`, `default`, `audit-unavailable` … */
  reason?: string;
  message?: string;
}

export interface AwsCallEvent extends EventBase {
  type: 'aws.call';
  aws: {
    service: string;
    operation: string;
    region: string;
    host: string;
    resources: string[];
    account?: string;
    roleArn?: string;
    sourceIdentity?: string;
    /** AWS's request id from the response, or the gateway's own when it answered itself. */
    requestId?: string;
  };
  request: {
    method: string;
    path: string;
    /** Query parameters, masked. Repeated names keep every value. */
    query?: Record<string, string | string[]>;
    bytes?: number;
    body?: BodyExcerpt;
  };
  response: {
    status: number;
    errorCode?: string;
    errorMessage?: string;
    bytes: number;
    latencyMs: number;
    body?: BodyExcerpt;
    /** Who answered: the AWS endpoint, or the gateway itself (refusals, upstream failures). */
    from: 'upstream' | 'gateway';
  };
  decision: Decision;
  /** Field paths that were masked (names only, never values). */
  masking?: { fields: string[] };
}

export type AuditEvent = SessionStartedEvent | AwsCallEvent | SessionEndedEvent | AuditDegradedEvent;

/** An event before the chain is applied: the session link without seq and hashes. */
export type UnsealedEvent<E extends AuditEvent = AuditEvent> = Omit<E, 'session'> & { session: { id: string; parent?: string } };
