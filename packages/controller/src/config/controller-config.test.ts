import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@agentrail/core';
import { loadControllerConfig } from './controller-config.js';

describe('loadControllerConfig', () => {
  it('needs only a NATS URL, and takes lease namespace and identity from the downward-API env', () => {
    const c = loadControllerConfig({ env: { AGENTRAIL_NATS_URL: 'nats://nats:4222', AGENTRAIL_POD_NAMESPACE: 'agentrail', AGENTRAIL_POD_NAME: 'controller-7d9f-x2' } });
    expect(c).toMatchObject({
      nats: { url: 'nats://nats:4222' },
      leaderElection: { namespace: 'agentrail', identity: 'controller-7d9f-x2', leaseName: 'agentrail-controller', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
      listen: { opsHost: '0.0.0.0', opsPort: 15091 },
    });
    expect(c.kubeconfig).toBeUndefined();
    expect(Object.isFrozen(c.leaderElection)).toBe(true);
  });

  it('lets flags win over the file and the file over env', () => {
    const c = loadControllerConfig({
      flags: { 'listen.opsPort': '9000' },
      file: { listen: { opsPort: 8000 }, workers: 4 },
      env: { AGENTRAIL_NATS_URL: 'nats://a:4222', AGENTRAIL_OPS_PORT: '7000' },
    });
    expect(c.listen.opsPort).toBe(9000);
    expect(c.workers).toBe(4);
  });

  it('reports every problem at once, election timing included', () => {
    let err: unknown;
    try {
      loadControllerConfig({ file: { leaderElection: { leaseDurationMs: 5_000, renewDeadlineMs: 8_000 }, bogus: 1 }, env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.path).sort()).toEqual(['bogus', 'leaderElection.renewDeadlineMs', 'nats.url']);
  });
});
