import { describe, expect, jest, test } from '@jest/globals';
import { setImmediate as turn } from 'node:timers/promises';
import { verifyChain, type AwsCallEvent } from '@agentrail/core';
import { MemoryAuditTransport } from '../../test/support/memory-audit-transport.js';
import type { Session } from '../credentials/session-registry.js';
import { AuditRecorder, type CallFacts } from './audit-recorder.js';

const logger = { error: jest.fn(), warn: jest.fn(), info: jest.fn(), debug: jest.fn() };

function setup() {
  const transport = new MemoryAuditTransport();
  const recorder = new AuditRecorder({ transport, source: { host: 'test' }, failMode: 'closed', maxBodyBytes: 1024, logger: logger as never });
  const session: Session = { id: 'sess-1', initiator: 'alice', chain: [{ type: 'User', name: 'alice' }, { type: 'Agent', name: 'a' }], createdAt: new Date() };
  recorder.sessionStarted(session);
  return { transport, recorder, session };
}

function facts(session: Session, key: string): CallFacts {
  const body = Buffer.from(JSON.stringify({ Bucket: 'b', Key: key, Password: 'hunter2-secret' }));
  return {
    session, startedAt: Date.now(), latencyMs: 1.5, method: 'POST', path: `/${key}`, query: [], host: 'example.amazonaws.com', service: 'dynamodb', protocol: 'json',
    request: { bytes: body.length, body, contentType: 'application/x-amz-json-1.0', streamed: false },
    response: { status: 200, from: 'upstream', bytes: 2, body: Buffer.from('{}'), contentType: 'application/x-amz-json-1.0', streamed: false },
    decision: { action: 'Allow', reason: 'no-policy' },
  };
}

describe('AuditRecorder', () => {
  test('records finished calls together after the relay, in the order they finished, masked and chained', async () => {
    const { transport, recorder, session } = setup();
    for (const key of ['k1', 'k2', 'k3']) recorder.call(facts(session, key));
    expect(transport.calls()).toHaveLength(0); // not on the relay's own turn
    await turn();
    const calls = transport.calls();
    expect(calls.map((c: AwsCallEvent) => c.request.path)).toEqual(['/k1', '/k2', '/k3']);
    expect(calls.map((c) => c.session.seq)).toEqual([2, 3, 4]);
    expect(JSON.stringify(calls)).not.toContain('hunter2-secret');
    expect(verifyChain(transport.events)).toEqual([]);
  });

  test('ending a session records its queued calls first, so session.ended stays last in the chain', () => {
    const { transport, recorder, session } = setup();
    recorder.call(facts(session, 'k1'));
    recorder.call(facts(session, 'k2'));
    recorder.sessionEnded(session, 'revoked');
    expect(transport.events.map((e) => e.type)).toEqual(['session.started', 'aws.call', 'aws.call', 'session.ended']);
    expect(verifyChain(transport.events)).toEqual([]);
  });

  test('a call whose event cannot be built is logged and shows up as an audit.degraded gap', async () => {
    const { transport, recorder, session } = setup();
    recorder.call({ ...facts(session, 'k1'), path: undefined as unknown as string });
    await turn();
    expect(logger.error).toHaveBeenCalledWith('audit event could not be built', expect.objectContaining({ session: 'sess-1' }));
    recorder.call(facts(session, 'k2'));
    await turn();
    expect(transport.events.map((e) => e.type)).toEqual(['session.started', 'audit.degraded', 'aws.call']);
    expect(transport.events[1]).toMatchObject({ unrecordedCalls: 1 });
  });
});
