import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The controller's metrics, on a registry of its own (tests run several
 * controllers in one process).
 */
export class ControllerMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'agentrail_controller_reconciles_total',
    help: 'GatewayPolicy reconciles, by result: published, unchanged, invalid, deleted, error.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly compileErrors = new Counter({
    name: 'agentrail_controller_compile_errors_total',
    help: 'GatewayPolicy generations found invalid (counted once, when their Ready=False status is written).',
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'agentrail_controller_reconcile_duration_seconds',
    help: 'Time one reconcile takes (KV read and write, status write).',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'agentrail_controller_leader',
    help: '1 while this replica holds the leader lease and reconciles, else 0.',
    registers: [this.registry],
  });
  readonly queueFull = new Counter({
    name: 'agentrail_controller_queue_full_total',
    help: 'Keys refused because the work queue was full (the next resync adds them again).',
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'agentrail_controller_queue_depth',
    help: 'GatewayPolicies waiting to be reconciled.',
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    this.leader.set(0);
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'agentrail_controller_' });
  }
}
