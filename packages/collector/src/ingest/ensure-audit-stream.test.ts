/**
 * Stream and consumer set-up (core's ensureAuditStream / ensureCollectorConsumer)
 * against a real nats-server. The collector owns the configuration, so the
 * tests live here.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  AUDIT_STREAM, COLLECTOR_CONSUMER, DUPLICATE_WINDOW_MS, auditStreamSpec, ensureAuditStream, ensureCollectorConsumer,
} from '@agentrail/core';
import { startNatsServer, type NatsServer } from '../../../core/src/testing/nats-server.js';

const MS = 1_000_000;

describe('ensureAuditStream / ensureCollectorConsumer', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
  });
  afterEach(async () => {
    await jsm.streams.delete(AUDIT_STREAM).catch(() => false);
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it('creates the stream once with the settings AgentRail owns, then leaves it unchanged', async () => {
    expect(await ensureAuditStream(jsm)).toEqual({ action: 'created', warnings: [] });
    const { config } = await jsm.streams.info(AUDIT_STREAM);
    expect(config).toMatchObject({
      subjects: ['agentrail.audit.>'], storage: 'file', retention: 'limits', discard: 'new',
      duplicate_window: DUPLICATE_WINDOW_MS * MS, max_age: 7 * 24 * 3_600_000 * MS,
    });
    expect(await ensureAuditStream(jsm, { updateExisting: true })).toEqual({ action: 'unchanged', warnings: [] });
  });

  it('lets a sidecar leave a differing stream alone, and the collector bring it in line', async () => {
    await jsm.streams.add({ name: AUDIT_STREAM, subjects: ['agentrail.audit.>'], max_age: 3_600_000 * MS, duplicate_window: 60_000 * MS });
    expect((await ensureAuditStream(jsm, { maxAgeMs: 0 })).action).toBe('unchanged');
    expect((await jsm.streams.info(AUDIT_STREAM)).config.max_age).toBe(3_600_000 * MS);
    expect((await ensureAuditStream(jsm, { maxAgeMs: 0, updateExisting: true })).action).toBe('updated');
    expect((await jsm.streams.info(AUDIT_STREAM)).config).toMatchObject({ max_age: 0, duplicate_window: DUPLICATE_WINDOW_MS * MS, discard: 'new' });
  });

  it('reports what cannot be changed in place (storage) instead of failing', async () => {
    await jsm.streams.add({ name: AUDIT_STREAM, subjects: ['agentrail.audit.>'], storage: 'memory' as never });
    const result = await ensureAuditStream(jsm, { updateExisting: true });
    expect(result.warnings).toEqual([expect.stringContaining('memory storage')]);
  });

  it('survives many processes setting up at once', async () => {
    // Differing settings, so losers of the creation race take the "already in use" path.
    const all = await Promise.all(Array.from({ length: 6 }, async (_, i) => {
      const stream = await ensureAuditStream(jsm, i % 2 === 0 ? { updateExisting: true } : { maxAgeMs: 0 });
      const consumer = await ensureCollectorConsumer(jsm, { ackWaitMs: 10_000, maxAckPending: 5_000 + (i % 2) * 5_000 });
      return [stream.action, consumer.action];
    }));
    expect(all.flat().every((a) => ['created', 'updated', 'unchanged'].includes(a))).toBe(true);
    expect((await jsm.consumers.info(AUDIT_STREAM, COLLECTOR_CONSUMER)).config.ack_wait).toBe(10_000 * MS);
  });

  it('creates the durable pull consumer with explicit acks and bounded pending, and updates its limits', async () => {
    await ensureAuditStream(jsm);
    expect((await ensureCollectorConsumer(jsm)).action).toBe('created');
    const { config } = await jsm.consumers.info(AUDIT_STREAM, COLLECTOR_CONSUMER);
    expect(config).toMatchObject({ durable_name: COLLECTOR_CONSUMER, ack_policy: 'explicit', deliver_policy: 'all', ack_wait: 30_000 * MS, max_ack_pending: 10_000, max_deliver: -1 });
    expect(config.deliver_subject).toBeUndefined(); // pull
    expect((await ensureCollectorConsumer(jsm)).action).toBe('unchanged');
    expect((await ensureCollectorConsumer(jsm, { maxAckPending: 2_000 })).action).toBe('updated');
    expect((await jsm.consumers.info(AUDIT_STREAM, COLLECTOR_CONSUMER)).config.max_ack_pending).toBe(2_000);
  });

  it('refuses a max age shorter than the duplicate window', () => {
    expect(() => auditStreamSpec({ maxAgeMs: 60_000 })).toThrow(RangeError);
  });
});
