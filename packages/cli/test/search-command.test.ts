import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditEvent } from '@agentrail/core';
import { IDS, T0 } from './support/audit-trail.js';
import { runCli } from './support/run-cli.js';
import { createTrailStore, type TrailStore } from './support/trail-store.js';

const now = new Date(T0 + 300_000);
let trail: TrailStore;

beforeAll(() => {
  trail = createTrailStore();
});
afterAll(() => trail.remove());

const search = (...args: string[]) => runCli(['search', '--store', trail.path, ...args], { now });
/** The events of a `--json` run. */
const found = async (...args: string[]): Promise<AuditEvent[]> => {
  const r = await search('--json', ...args);
  expect(r.code).toBe(0);
  return r.stdout === '' ? [] : r.stdout.trim().split('\n').map((l) => JSON.parse(l) as AuditEvent);
};
const ops = (events: AuditEvent[]): string[] => events.map((e) => (e.type === 'aws.call' ? `${e.aws.service}:${e.aws.operation}` : e.type)).sort();

describe('agentrail search', () => {
  it('prints a table of matching events, newest first', async () => {
    const r = await search('--decision', 'Deny');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+SESSION\s+INITIATOR\/CHAIN\s+OPERATION\s+RESOURCE\s+DECISION\s+STATUS$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(new RegExp(`^2025-11-26 14:00:30Z  ${IDS.sweeper}  alice@corp → … → Agent sweeper +s3:DeleteBucket +arn:aws:s3:::reports-2025 +Deny +403 AccessDenied$`)),
      expect.stringMatching(new RegExp(`^2025-11-26 14:00:21Z  ${IDS.cleanup}  alice@corp → … → Agent s3-cleanup +s3:DeleteObject +arn:aws:s3:::reports-2025/q1.csv +Deny +403 AccessDenied$`)),
      expect.stringMatching(new RegExp(`^2025-11-26 14:00:02Z  ${IDS.root}  alice@corp → Pod agents/planner +iam:CreateUser +arn:aws:iam::123456789012:user/backdoor +Deny +403 AccessDenied$`)),
    ]);
  });

  it('prints one JSON event per line with --json, as stored', async () => {
    const events = await found('--session', IDS.cleanup);
    expect(events).toHaveLength(4);
    expect(events.every((e) => e.session.id === IDS.cleanup && typeof e.session.hash === 'string')).toBe(true);
  });

  it('filters by operation glob, service, resource, decision and type', async () => {
    expect(ops(await found('--operation', 's3:Delete*'))).toEqual(['s3:DeleteBucket', 's3:DeleteObject']);
    expect(ops(await found('--service', 'iam'))).toEqual(['iam:CreateUser']);
    expect(ops(await found('--resource', 'arn:aws:s3:::reports-2025/*'))).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:GetObject', 's3:PutObject']);
    expect(ops(await found('--decision', 'deny', '--type', 'aws.call', '--agent', 's3-cleanup'))).toEqual(['s3:DeleteObject']);
    expect(await found('--type', 'session.ended')).toHaveLength(4);
  });

  it('follows a session into its delegations with --descendants', async () => {
    const own = await found('--session', IDS.sweeper, '--type', 'aws.call');
    const all = await found('--session', IDS.sweeper, '--descendants', '--type', 'aws.call');
    expect(ops(own)).toEqual(['s3:DeleteBucket', 's3:ListObjectsV2']);
    expect(ops(all)).toEqual(['s3:DeleteBucket', 's3:DeleteObject', 's3:GetObject', 's3:ListObjectsV2']);
  });

  it('searches free text given as words', async () => {
    expect(ops(await found('NoSuchKey'))).toEqual(['s3:GetObject']);
    expect(ops(await found('--initiator', 'alice@corp', 'backdoor'))).toEqual(['iam:CreateUser']);
  });

  it('filters by time window', async () => {
    expect(ops(await found('--since', '2025-11-26T14:00:20Z', '--until', '2025-11-26T14:00:22.500Z'))).toEqual(['s3:DeleteObject', 's3:GetObject', 'session.started']);
    expect(ops(await found('--since', '2025-11-26T14:01:30Z'))).toEqual(['session.started', 'sts:GetCallerIdentity']);
  });

  it('says when the limit cut the results short', async () => {
    const r = await search('--type', 'aws.call', '--limit', '2');
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(r.stdout).toContain('sts:GetCallerIdentity');
    expect(r.stderr).toContain('2 newest shown; more may match');
  });

  it('prints nothing on stdout when nothing matches', async () => {
    const r = await search('--initiator', 'mallory');
    expect(r).toEqual({ code: 0, stdout: '', stderr: 'no events match\n' });
  });

  it.each([
    [['--decision', 'Maybe'], '--decision: "Maybe" is not one of Allow, Deny, RequireApproval'],
    [['--type', 'aws.cal'], '--type: "aws.cal" is not one of session.started, aws.call, session.ended, audit.degraded'],
    [['--limit', '10001'], '--limit: "10001" is not a whole number from 1 to 10000'],
    [['--limit', '-3'], '--limit'],
    [['--since', '15 minutes'], '--since: "15 minutes" is not a time'],
    [['--descendants'], '--descendants: only meaningful together with --session'],
  ])('rejects %j naming the flag, exit 2', async (args, message) => {
    const r = await search(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
