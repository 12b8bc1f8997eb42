import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '@agentrail/core';
import { createAuditApiHandler } from './api/audit-api.js';
import type { Authenticator } from './api/authenticator.js';
import { OidcAuthenticator } from './api/oidc-authenticator.js';
import { StaticTokenAuthenticator } from './api/static-token-authenticator.js';
import type { CollectorConfig } from './config/collector-config.js';
import { JetStreamIngest } from './ingest/jetstream-ingest.js';
import type { AuditStore } from './store/audit-store.js';
import { SqliteAuditStore } from './store/sqlite-audit-store.js';

/**
 * The collector: the JetStream ingest into the store, the search API, and
 * retention. `stop()` finishes the batch in hand, closes the API and the store.
 */
export class Collector {
  private readonly logger: Logger;
  private store: AuditStore | undefined;
  private ingest: JetStreamIngest | undefined;
  private server: Server | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly config: CollectorConfig, logger?: Logger) {
    this.logger = logger ?? createLogger(config.logLevel, { component: 'collector' });
  }

  /** Starts ingest, the API and retention; resolves with the API's URL. */
  async start(): Promise<{ apiUrl: string }> {
    const { config } = this;
    const auth = await this.authenticator();
    const store = SqliteAuditStore.open(config.store.path);
    this.store = store;
    this.ingest = JetStreamIngest.start({
      servers: config.nats.url.split(',').map((u) => u.trim()),
      store,
      batchSize: config.ingest.batchSize,
      batchWaitMs: config.ingest.batchWaitMs,
      logger: this.logger,
    });
    this.server = http.createServer(createAuditApiHandler({ reader: store, auth, logger: this.logger }));
    const port = await new Promise<number>((resolve, reject) => {
      const server = this.server as Server;
      server.once('error', reject);
      server.listen(config.api.port, config.api.host, () => resolve((server.address() as AddressInfo).port));
    });
    if (config.retention.maxAgeDays > 0) {
      this.prune();
      this.retentionTimer = setInterval(() => this.prune(), config.retention.intervalMinutes * 60_000);
      this.retentionTimer.unref();
    }
    const host = config.api.host === '0.0.0.0' ? '127.0.0.1' : config.api.host;
    const apiUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.logger.info('collector started', { api: apiUrl, store: config.store.path, retentionDays: config.retention.maxAgeDays });
    return { apiUrl };
  }

  counters() {
    return this.ingest?.counters();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.retentionTimer !== undefined) clearInterval(this.retentionTimer);
      await this.ingest?.stop();
      const server = this.server;
      if (server !== undefined) await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
      this.store?.close();
      this.logger.info('collector stopped');
    })();
    return this.stopping;
  }

  /** Deletes events past retention; what remains still verifies (each session keeps its anchor). */
  private prune(): void {
    const before = new Date(Date.now() - this.config.retention.maxAgeDays * 86_400_000);
    try {
      const removed = this.store?.prune(before);
      if (removed !== undefined && removed.events > 0) this.logger.info('retention pruned events', { before: before.toISOString(), ...removed });
    } catch (err) {
      this.logger.error('retention failed', { error: String(err) });
    }
  }

  private async authenticator(): Promise<Authenticator> {
    const { api } = this.config;
    if (api.oidc.issuer !== undefined) {
      return new OidcAuthenticator({
        issuer: api.oidc.issuer,
        audience: api.oidc.audience as string,
        groupsClaim: api.oidc.groupsClaim,
        allowedGroups: api.oidc.allowedGroups,
        allowAnyAuthenticated: api.oidc.allowAnyAuthenticated,
        logger: this.logger,
      });
    }
    return StaticTokenAuthenticator.fromFile(api.tokenFile as string, this.logger);
  }
}
