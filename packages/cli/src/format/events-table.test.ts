import { describe, expect, it } from '@jest/globals';
import type { AuditEvent, AwsCallEvent } from '@agentrail/core';
import { buildTrail } from '../../test/support/audit-trail.js';
import { formatLatency, formatOperation, formatResources, formatStatus } from './event-fields.js';
import { renderEventsTable, TAIL_WIDTHS } from './events-table.js';

const events = buildTrail();
const call = (op: string): AwsCallEvent => events.find((e): e is AwsCallEvent => e.type === 'aws.call' && formatOperation(e) === op)!;

describe('renderEventsTable', () => {
  it('shows time, session, short chain, operation, resource, decision and status', () => {
    const out = renderEventsTable([call('s3:DeleteObject'), call('iam:CreateUser')]);
    expect(out).toBe(
      [
        'TIME                  SESSION                       INITIATOR/CHAIN                    OPERATION        RESOURCE                                 DECISION  STATUS',
        '2025-11-26 14:00:21Z  ses_2c2c2c2c2c2c2c2c2c2c2c2c  alice@corp → … → Agent s3-cleanup  s3:DeleteObject  arn:aws:s3:::reports-2025/q1.csv         Deny      403 AccessDenied',
        '2025-11-26 14:00:02Z  ses_0a0a0a0a0a0a0a0a0a0a0a0a  alice@corp → Pod agents/planner    iam:CreateUser   arn:aws:iam::123456789012:user/backdoor  Deny      403 AccessDenied',
        '',
      ].join('\n'),
    );
  });

  it('keeps batches aligned with fixed widths and no repeated header', () => {
    const a = renderEventsTable([call('s3:ListBuckets')], { fixedWidths: TAIL_WIDTHS, header: true }).split('\n');
    const b = renderEventsTable([call('iam:CreateUser')], { fixedWidths: TAIL_WIDTHS, header: false }).split('\n');
    expect(a[0]!.startsWith('TIME')).toBe(true);
    expect(b[0]!.indexOf('iam:CreateUser')).toBe(a[1]!.indexOf('s3:ListBuckets'));
    expect(b[0]!.indexOf('Deny')).toBe(a[1]!.indexOf('Allow'));
  });
});

describe('event fields', () => {
  it('prefixes a bare operation name with its service, and keeps a qualified one', () => {
    expect(call('s3:ListBuckets').aws.operation).toBe('ListBuckets');
    const qualified = { ...call('s3:ListBuckets'), aws: { ...call('s3:ListBuckets').aws, operation: 's3:ListBuckets' } };
    expect(formatOperation(qualified)).toBe('s3:ListBuckets');
    expect(formatOperation(events[0]!)).toBe('session.started');
  });

  it('names the first resource and counts the rest', () => {
    const many = { ...call('s3:ListBuckets'), aws: { ...call('s3:ListBuckets').aws, resources: ['arn:a', 'arn:b', 'arn:c'] } };
    expect(formatResources(many)).toBe('arn:a (+2)');
    expect(formatResources({ ...many, aws: { ...many.aws, resources: [] } })).toBe('*');
  });

  it('says how many calls a degraded audit lost', () => {
    const degraded = { ...events[0]!, type: 'audit.degraded', unrecordedCalls: 3, since: '', until: '', reason: 'spool full' } as AuditEvent;
    expect(formatStatus(degraded)).toBe('3 calls unrecorded: spool full');
  });

  it('prints latency with sensible precision', () => {
    expect(formatLatency(0.42)).toBe('0.4 ms');
    expect(formatLatency(12.6)).toBe('13 ms');
    expect(formatLatency(1234)).toBe('1.2 s');
  });
});
