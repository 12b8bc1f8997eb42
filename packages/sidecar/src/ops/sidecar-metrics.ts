import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The sidecar's metrics, on a registry of its own (several sidecars can run in
 * one process, as `agentrail run` nesting and the tests do).
 */
export class SidecarMetrics {
  readonly registry = new Registry();
  readonly calls = new Counter({
    name: 'agentrail_sidecar_calls_total',
    help: 'AWS calls handled, by IAM service prefix, operation and outcome (forwarded, denied, rejected, failed).',
    labelNames: ['service', 'operation', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'agentrail_sidecar_call_duration_seconds',
    help: 'Time from request to the end of the response, by service and outcome.',
    labelNames: ['service', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly overhead = new Histogram({
    name: 'agentrail_sidecar_overhead_seconds',
    help: 'Time the sidecar spends before the upstream request is sent (verification, extraction, decision, signing).',
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
    registers: [this.registry],
  });
  readonly callerErrors = new Counter({
    name: 'agentrail_sidecar_caller_errors_total',
    help: 'Requests refused before forwarding, by AWS error code sent to the caller.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly upstreamErrors = new Counter({
    name: 'agentrail_sidecar_upstream_errors_total',
    help: 'Failures talking to AWS (connect, reset, timeout), by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly openConnections = new Gauge({
    name: 'agentrail_sidecar_open_connections',
    help: 'Open client connections, by listener.',
    labelNames: ['listener'] as const,
    registers: [this.registry],
  });
  readonly credentialRequests = new Counter({
    name: 'agentrail_sidecar_credential_requests_total',
    help: 'Credential endpoint requests, by outcome (issued, delegated, unauthenticated, forbidden).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly interceptions = new Counter({
    name: 'agentrail_sidecar_intercepted_connections_total',
    help: 'Intercepted connections (CONNECT or transparent), by outcome (terminated, tunnelled, refused …) and mode.',
    labelNames: ['outcome', 'mode'] as const,
    registers: [this.registry],
  });
  readonly protocolErrors = new Counter({
    name: 'agentrail_sidecar_protocol_errors_total',
    help: 'Connections or requests that were not valid HTTP (malformed, oversized headers, client gone).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly auditEvents = new Counter({
    name: 'agentrail_sidecar_audit_events_total',
    help: 'Audit events sealed and handed to the audit transport, by type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly auditUnrecorded = new Counter({
    name: 'agentrail_sidecar_audit_unrecorded_total',
    help: 'Events that could not be kept (fail-open mode, or the spool filled mid-call); each gap is recorded as an audit.degraded event.',
    registers: [this.registry],
  });
  readonly auditDelivered = new Counter({
    name: 'agentrail_sidecar_audit_delivered_total',
    help: 'Audit events acknowledged by JetStream and removed from the spool.',
    registers: [this.registry],
  });
  readonly auditSpoolBytes = new Gauge({
    name: 'agentrail_sidecar_audit_spool_bytes',
    help: 'Bytes of audit events in the spool, waiting for JetStream.',
    registers: [this.registry],
  });
  readonly auditErrors = new Counter({
    name: 'agentrail_sidecar_audit_errors_total',
    help: 'Audit delivery errors (publish failures, timeouts, disconnects), by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly roleAssumptions = new Counter({
    name: 'agentrail_sidecar_role_assumptions_total',
    help: 'STS AssumeRole calls for policy roles (one per session and role, then refreshed in the background).',
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'agentrail_sidecar_' });
  }
}
