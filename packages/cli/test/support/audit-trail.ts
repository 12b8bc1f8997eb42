import { SessionChainer, UlidFactory, type Actor, type AuditEvent, type AwsCallEvent, type DecisionAction, type EventSource, type UnsealedEvent } from '@agentrail/core';

/** Fixture time zero; every event of the trail lies within ten minutes after it. */
export const T0 = Date.parse('2025-11-26T14:00:00.000Z');

/** Session ids of the trail, shaped as the sidecar makes them (`ses_` + 24 hex). */
export const IDS = {
  root: 'ses_0a0a0a0a0a0a0a0a0a0a0a0a',
  sweeper: 'ses_1b1b1b1b1b1b1b1b1b1b1b1b',
  cleanup: 'ses_2c2c2c2c2c2c2c2c2c2c2c2c',
  reporter: 'ses_3d3d3d3d3d3d3d3d3d3d3d3d',
  other: 'ses_4e4e4e4e4e4e4e4e4e4e4e4e',
} as const;

const alice: Actor = { type: 'User', name: 'alice@corp' };
const planner: Actor = { type: 'Pod', name: 'agents/planner' };
const bob: Actor = { type: 'User', name: 'bob@corp' };
const ci: Actor = { type: 'Host', name: 'ci-runner-7' };

/**
 * A session being written: seals each event onto the session's hash chain,
 * like the sidecar's recorder. Times are seconds after `origin`.
 */
export class SessionWriter {
  private readonly chainer = new SessionChainer();

  constructor(
    private readonly out: AuditEvent[],
    private readonly id: string,
    private readonly chain: Actor[],
    private readonly source: EventSource,
    private readonly parent?: string,
    private readonly origin = T0,
  ) {}

  started(second: number): this {
    this.out.push(this.chainer.seal({ ...this.base('session.started', second) } as UnsealedEvent));
    return this;
  }

  ended(second: number, reason = 'process exited'): this {
    this.out.push(this.chainer.seal({ ...this.base('session.ended', second), reason } as UnsealedEvent));
    return this;
  }

  call(second: number, operation: string, resource: string, action: DecisionAction, status?: { code: number; error: string }): this {
    // As the sidecar records it: the IAM service prefix, and the bare API operation name.
    const [service = '', name = ''] = operation.split(':');
    const refused = action !== 'Allow';
    const call: UnsealedEvent<AwsCallEvent> = {
      ...this.base('aws.call', second),
      type: 'aws.call',
      aws: { service, operation: name, region: 'us-east-1', host: `${service}.us-east-1.amazonaws.com`, resources: [resource], account: '123456789012' },
      request: { method: 'POST', path: '/' },
      response: refused || status !== undefined
        ? { status: status?.code ?? 403, errorCode: status?.error ?? 'AccessDenied', errorMessage: 'refused by AgentRail policy', bytes: 120, latencyMs: refused ? 0.4 : 31, from: refused ? 'gateway' : 'upstream' }
        : { status: 200, bytes: 512, latencyMs: 12.6, from: 'upstream' },
      decision: refused ? { action, policy: 'research-agents', rule: 'nested-agents-never-delete' } : { action, policy: 'research-agents', rule: 'read-reports' },
    };
    this.out.push(this.chainer.seal(call));
    return this;
  }

  private base(type: AuditEvent['type'], second: number) {
    const at = this.origin + second * 1000;
    return {
      v: 1 as const,
      id: new UlidFactory(() => at).next(),
      time: new Date(at).toISOString(),
      type,
      session: this.parent === undefined ? { id: this.id } : { id: this.id, parent: this.parent },
      initiator: this.chain[0]!.name,
      chain: this.chain,
      source: this.source,
    };
  }
}

/**
 * A sealed trail with a three-level delegation tree and an unrelated session:
 *
 * - root: alice@corp via Pod agents/planner (namespace agents): ListBuckets (Allow),
 *   CreateUser (Deny), GetObject (Allow, after the first delegation);
 *   - sweeper (Agent sweeper): ListObjectsV2 (Allow), DeleteBucket (Deny);
 *     - cleanup (Agent s3-cleanup): DeleteObject (Deny), GetObject (Allow, 404 NoSuchKey);
 *   - reporter (Agent reporter): PutObject (Allow);
 * - other: bob@corp on host ci-runner-7: sts:GetCallerIdentity (Allow).
 */
export function buildTrail(): AuditEvent[] {
  const out: AuditEvent[] = [];
  const pod: EventSource = { cluster: 'prod', namespace: 'agents', pod: 'planner', uid: 'b9f1c8e2' };
  const root = new SessionWriter(out, IDS.root, [alice, planner], pod);
  const sweeperChain = [alice, planner, { type: 'Agent', name: 'sweeper' } as Actor];
  const sweeper = new SessionWriter(out, IDS.sweeper, sweeperChain, pod, IDS.root);
  const cleanup = new SessionWriter(out, IDS.cleanup, [...sweeperChain, { type: 'Agent', name: 's3-cleanup' }], pod, IDS.sweeper);
  const reporter = new SessionWriter(out, IDS.reporter, [alice, planner, { type: 'Agent', name: 'reporter' }], pod, IDS.root);
  const other = new SessionWriter(out, IDS.other, [bob, ci], { host: 'ci-runner-7', osUser: 'bob' });

  root.started(0).call(1, 's3:ListBuckets', '*', 'Allow').call(2, 'iam:CreateUser', 'arn:aws:iam::123456789012:user/backdoor', 'Deny');
  sweeper.started(10).call(11, 's3:ListObjectsV2', 'arn:aws:s3:::reports-2025', 'Allow');
  cleanup.started(20).call(21, 's3:DeleteObject', 'arn:aws:s3:::reports-2025/q1.csv', 'Deny');
  cleanup.call(22, 's3:GetObject', 'arn:aws:s3:::reports-2025/q9.csv', 'Allow', { code: 404, error: 'NoSuchKey' }).ended(23);
  sweeper.call(30, 's3:DeleteBucket', 'arn:aws:s3:::reports-2025', 'Deny').ended(31);
  root.call(40, 's3:GetObject', 'arn:aws:s3:::reports-2025/summary.csv', 'Allow');
  reporter.started(50).call(51, 's3:PutObject', 'arn:aws:s3:::reports-2025/weekly.md', 'Allow').ended(52);
  root.ended(60);
  other.started(100).call(101, 'sts:GetCallerIdentity', '*', 'Allow');
  return out;
}
