import { SessionChainer, UlidFactory, type Actor, type AuditEvent, type AwsCallEvent, type DecisionAction, type UnsealedEvent } from '@agentrail/core';

/** Fixture time zero; every fixture event is within the hour after it. */
export const T0 = Date.parse('2025-06-01T10:00:00.000Z');

const alice: Actor = { type: 'User', name: 'alice' };
const planner: Actor = { type: 'Pod', name: 'agents/planner' };
const cleanup: Actor = { type: 'Agent', name: 's3-cleanup' };
const bob: Actor = { type: 'User', name: 'bob' };
const batch: Actor = { type: 'Pod', name: 'batch/report' };

/**
 * A small, sealed audit trail:
 * - `root`: alice via Pod agents/planner in namespace `agents` (T0…T0+10m):
 *   start, s3:GetObject (Allow), s3:DeleteObject (Deny), end;
 * - `child`: delegated from root to Agent s3-cleanup (T0+5m…):
 *   start, s3:DeleteObject (RequireApproval), dynamodb:GetItem (Allow);
 * - `other`: bob via Pod batch/report in namespace `batch` (T0+30m…):
 *   start, ec2:DescribeInstances (Allow).
 */
export function fixtureTrail(): { events: AuditEvent[]; ids: { root: string; child: string; other: string } } {
  const ulids = new UlidFactory(() => T0);
  const ids = { root: ulids.next(), child: ulids.next(), other: ulids.next() };
  const events: AuditEvent[] = [];
  const session = (id: string, chain: Actor[], namespace: string, parent?: string) => {
    const chainer = new SessionChainer();
    const base = (type: AuditEvent['type'], minute: number) => ({
      v: 1 as const,
      id: new UlidFactory(() => T0 + minute * 60_000).next(),
      time: new Date(T0 + minute * 60_000).toISOString(),
      type,
      session: parent === undefined ? { id } : { id, parent },
      initiator: (chain[0] as Actor).name,
      chain,
      source: { cluster: 'test', namespace, pod: chain[1]?.name.split('/')[1] ?? 'none' },
    });
    return {
      started: (minute: number) => events.push(chainer.seal({ ...base('session.started', minute) } as UnsealedEvent)),
      ended: (minute: number) => events.push(chainer.seal({ ...base('session.ended', minute), reason: 'done' } as UnsealedEvent)),
      call: (minute: number, operation: string, resource: string, action: DecisionAction, errorCode?: string) => {
        // Like the sidecar: the service prefix apart, the bare API operation name in aws.operation.
        const [service = '', name = ''] = operation.split(':');
        const call: UnsealedEvent<AwsCallEvent> = {
          ...base('aws.call', minute),
          type: 'aws.call',
          aws: { service, operation: name, region: 'eu-west-1', host: `${service}.eu-west-1.amazonaws.com`, resources: [resource], account: '123456789012' },
          request: { method: 'POST', path: '/' },
          response: action === 'Allow'
            ? { status: 200, bytes: 10, latencyMs: 5, from: 'upstream' }
            : { status: 403, errorCode: errorCode ?? 'AccessDenied', errorMessage: 'refused by AgentRail policy', bytes: 100, latencyMs: 1, from: 'gateway' },
          decision: action === 'Allow' ? { action } : { action, policy: 'no-deletes', rule: 'deny-delete' },
        };
        events.push(chainer.seal(call));
      },
    };
  };

  const root = session(ids.root, [alice, planner], 'agents');
  root.started(0);
  root.call(1, 's3:GetObject', 'arn:aws:s3:::reports/2025/q2.csv', 'Allow');
  root.call(2, 's3:DeleteObject', 'arn:aws:s3:::reports/2025/q1.csv', 'Deny', 'GuardrailDenied');
  const child = session(ids.child, [alice, planner, cleanup], 'agents', ids.root);
  child.started(5);
  child.call(6, 's3:DeleteObject', 'arn:aws:s3:::scratch/tmp.txt', 'RequireApproval');
  child.call(7, 'dynamodb:GetItem', 'arn:aws:dynamodb:eu-west-1:123456789012:table/jobs', 'Allow');
  root.ended(10);
  const other = session(ids.other, [bob, batch], 'batch');
  other.started(30);
  other.call(31, 'ec2:DescribeInstances', 'arn:aws:ec2:eu-west-1:123456789012:instance/*', 'Allow');
  return { events, ids };
}
