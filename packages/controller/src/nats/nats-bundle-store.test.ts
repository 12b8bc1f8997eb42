/**
 * The controller's side of the policy bucket against a real nats-server:
 * round trips, fast failure while NATS is away (a worker must not hang), and
 * recovery — including a server that comes back empty, whose bucket is
 * created again and whose return is signalled so the controller resyncs.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { startNatsServer, type NatsServer } from '../../../core/src/testing/nats-server.js';
import type { PolicyBundle } from '@agentrail/core';
import { POLICY_BUCKET } from '../policy/policy-key.js';
import { NatsBundleStore } from './nats-bundle-store.js';

const servers: NatsServer[] = [];
const stores: NatsBundleStore[] = [];
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all(servers.map((s) => s.stop()));
});

const bundle = (name: string, generation = 1): PolicyBundle => ({
  apiVersion: 'agentrail.dev/v1alpha1', kind: 'GatewayPolicy',
  metadata: { namespace: 'agents', name, generation, uid: `uid-${name}` },
  spec: { rules: [] }, compiledAt: new Date().toISOString(),
});

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function start(url: string) {
  let connections = 0;
  const store = NatsBundleStore.start({ servers: url, reconnectWaitMs: 50, onConnected: () => { connections++; } });
  stores.push(store);
  return { store, connections: () => connections };
}

describe('NatsBundleStore', () => {
  it('creates the bucket and round-trips bundles; deleted and foreign keys read as absent', async () => {
    const nats = await startNatsServer();
    servers.push(nats);
    const { store, connections } = start(nats.url);
    await until(() => store.connected() && connections() === 1);
    await store.put('agents.a', bundle('a'));
    await store.put('agents.b', bundle('b', 3));
    expect((await store.get('agents.b'))?.metadata).toEqual(bundle('b', 3).metadata);
    expect((await store.keys()).sort()).toEqual(['agents.a', 'agents.b']);
    await store.delete('agents.a');
    expect(await store.get('agents.a')).toBeUndefined();
    expect(await store.keys()).toEqual(['agents.b']);

    const nc = await connect({ servers: nats.url });
    await (await new Kvm(nc).open(POLICY_BUCKET)).put('agents.junk', 'not a bundle');
    await nc.close();
    expect(await store.get('agents.junk')).toBeUndefined();
  });

  it('fails at once while NATS is away, and signals its return so the caller resyncs', async () => {
    const nats = await startNatsServer();
    servers.push(nats);
    const { store, connections } = start(nats.url);
    await until(() => store.connected());
    await store.put('agents.a', bundle('a'));
    await nats.kill();
    await until(() => !store.connected());
    const started = Date.now();
    await expect(store.get('agents.a')).rejects.toMatchObject({ code: 'NATS_UNAVAILABLE', retryable: true });
    expect(Date.now() - started).toBeLessThan(500);
    await nats.restart();
    await until(() => connections() === 2);
    expect((await store.get('agents.a'))?.metadata.name).toBe('a');
  });

  it('creates the bucket again when NATS comes back without its data', async () => {
    const first = await startNatsServer();
    const { store, connections } = start(first.url);
    await until(() => store.connected());
    await store.put('agents.a', bundle('a'));
    await first.stop();
    const second = await startNatsServer({ port: first.port });
    servers.push(second);
    await until(() => connections() === 2);
    expect(await store.keys()).toEqual([]);
    await store.put('agents.a', bundle('a'));
    expect(await store.keys()).toEqual(['agents.a']);
  });

  it('waits for a server that is not there yet', async () => {
    const probe = await startNatsServer();
    const port = probe.port;
    await probe.stop();
    const { store } = start(`nats://127.0.0.1:${port}`);
    await expect(store.keys()).rejects.toMatchObject({ code: 'NATS_UNAVAILABLE' });
    const nats = await startNatsServer({ port });
    servers.push(nats);
    await until(() => store.connected());
    expect(await store.keys()).toEqual([]);
  });
});
