import { SessionChainer, UlidFactory, type Actor, type AuditEvent, type AwsCallEvent, type DecisionAction, type SessionEndedEvent, type SessionStartedEvent } from '@agentrail/core';

/** Who a test session belongs to; defaults make a root session of alice in namespace `agents`. */
export interface SessionSpec {
  parent?: TestSession;
  initiator?: string;
  /** Actors after the initiator; a child session extends its parent's chain by default. */
  chain?: Actor[];
  agent?: string;
  namespace?: string;
  pod?: string;
}

export interface CallSpec {
  service?: string;
  operation?: string;
  resources?: string[];
  decision?: DecisionAction;
  errorCode?: string;
  errorMessage?: string;
  responseText?: string;
  requestText?: string;
}

/**
 * Builds realistic sealed events for store tests: one clock for the whole
 * trail (each event one step later), ULIDs from core's factory on that clock,
 * one SessionChainer per session — the same sealing the sidecar does.
 */
export class TrailBuilder {
  now: number;
  private readonly ulids: UlidFactory;
  private sessions = 0;

  constructor(start = Date.UTC(2026, 4, 1, 12, 0, 0), readonly stepMs = 1_000) {
    this.now = start;
    this.ulids = new UlidFactory(() => this.now);
  }

  session(spec: SessionSpec = {}): TestSession {
    this.sessions += 1;
    const initiator = spec.initiator ?? spec.parent?.initiator ?? 'alice@example.com';
    const namespace = spec.namespace ?? spec.parent?.namespace ?? 'agents';
    const pod = spec.pod ?? spec.parent?.pod ?? `planner-${this.sessions}`;
    const chain: Actor[] = spec.chain !== undefined
      ? [{ type: 'User', name: initiator }, ...spec.chain]
      : spec.parent !== undefined
        ? [...spec.parent.chain, { type: 'Agent', name: spec.agent ?? `helper-${this.sessions}` }]
        : [{ type: 'User', name: initiator }, { type: 'Pod', name: `${namespace}/${pod}` }];
    return new TestSession(this, this.nextId(), spec.parent?.id, initiator, chain, namespace, pod);
  }

  /** A ULID at the trail's current time. */
  nextId(): string {
    return this.ulids.next();
  }

  /** The current time as events carry it; the clock then moves one step. */
  tick(): string {
    const time = new Date(this.now).toISOString();
    this.now += this.stepMs;
    return time;
  }
}

export class TestSession {
  private readonly chainer = new SessionChainer();

  constructor(
    private trail: TrailBuilder,
    readonly id: string,
    readonly parent: string | undefined,
    readonly initiator: string,
    readonly chain: Actor[],
    readonly namespace: string,
    readonly pod: string,
  ) {}

  /** Continues the chain on another clock, as a sidecar restarted on a node whose clock differs. */
  moveTo(trail: TrailBuilder): void {
    this.trail = trail;
  }

  private base(): Omit<SessionStartedEvent, 'type' | 'session'> & { session: { id: string; parent?: string } } {
    const id = this.trail.nextId();
    return {
      v: 1, id, time: this.trail.tick(),
      session: this.parent === undefined ? { id: this.id } : { id: this.id, parent: this.parent },
      initiator: this.initiator, chain: this.chain,
      source: { cluster: 'test', namespace: this.namespace, pod: this.pod, uid: '6f1c2a9e-0000-4000-8000-000000000001' },
    };
  }

  started(): SessionStartedEvent {
    return this.chainer.seal<SessionStartedEvent>({ ...this.base(), type: 'session.started' });
  }

  ended(reason = 'pod terminated'): SessionEndedEvent {
    return this.chainer.seal<SessionEndedEvent>({ ...this.base(), type: 'session.ended', reason });
  }

  call(spec: CallSpec = {}): AwsCallEvent {
    const service = spec.service ?? 's3';
    const action = spec.decision ?? 'Allow';
    const b = this.base();
    return this.chainer.seal<AwsCallEvent>({
      ...b,
      type: 'aws.call',
      source: { ...b.source, userAgent: 'aws-sdk-js/3.1169.0 ua/2.1 os/linux lang/js' },
      aws: {
        service, operation: spec.operation ?? 'GetObject', region: 'eu-west-1', host: `${service}.eu-west-1.amazonaws.com`,
        resources: spec.resources ?? ['arn:aws:s3:::acme-logs/2026/05/01/app.log'], account: '123456789012', requestId: 'A1B2C3D4E5F60718',
      },
      request: { method: 'GET', path: '/', bytes: 0, ...(spec.requestText === undefined ? {} : { body: { bytes: spec.requestText.length, truncated: false, text: spec.requestText } }) },
      response: {
        status: action === 'Allow' ? (spec.errorCode === undefined ? 200 : 404) : 403,
        ...(spec.errorCode === undefined ? {} : { errorCode: spec.errorCode }),
        ...(spec.errorMessage === undefined ? {} : { errorMessage: spec.errorMessage }),
        bytes: spec.responseText?.length ?? 0, latencyMs: 12.5,
        ...(spec.responseText === undefined ? {} : { body: { contentType: 'application/json', bytes: spec.responseText.length, truncated: false, text: spec.responseText } }),
        from: action === 'Allow' ? 'upstream' : 'gateway',
      },
      decision: { action, policy: 'agents/default', rule: action === 'Allow' ? 'read-all' : 'no-delete' },
    });
  }
}

/** Events of a session in the order they were sealed, for assertions by seq. */
export function bySeq(events: readonly AuditEvent[]): AuditEvent[] {
  return [...events].sort((a, b) => a.session.seq - b.session.seq);
}
