import type { Logger } from '@agentrail/core';
import type { SidecarConfig } from '../config/sidecar-config.js';
import type { SidecarMetrics } from '../ops/sidecar-metrics.js';
import type { AuditTransport } from './audit-transport.js';
import { JetStreamAuditTransport } from './jetstream-transport.js';

/** The default transport: the spool at `audit.spoolDir`, delivered to JetStream at `audit.natsUrl`. */
export function openNatsTransport(config: SidecarConfig, metrics: SidecarMetrics, logger: Logger): AuditTransport {
  if (config.audit.natsUrl === undefined) {
    throw new Error('no audit trail configured: set audit.natsUrl (--nats URL) for a collector, or audit.storePath (--audit-store FILE) for a local store');
  }
  return JetStreamAuditTransport.start({
    servers: config.audit.natsUrl.split(',').map((u) => u.trim()),
    spool: { dir: config.audit.spoolDir, maxBytes: config.audit.spoolMaxBytes, fsync: config.audit.fsync },
    logger,
    hooks: {
      onDelivered: (n) => metrics.auditDelivered.inc(n),
      onSpoolBytes: (b) => metrics.auditSpoolBytes.set(b),
      onError: (reason) => metrics.auditErrors.inc({ reason }),
    },
  });
}
