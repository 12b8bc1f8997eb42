import type { Command } from 'commander';
import { ConfigError, createLogger } from '@agentrail/core';
import type { SqliteAuditStore } from '@agentrail/collector';
import { StoreAuditTransport } from '../local/store-audit-transport.js';
import { Sidecar, loadSidecarConfig } from '@agentrail/sidecar';
import { configFlags, loadOrExit, stopOnSignals } from './service-command.js';

/** Maps CLI flags to config paths; only flags the user gave are passed on. */
const FLAG_PATHS: Record<string, string> = {
  upstreamEndpoint: 'upstream.endpoint',
  listenHost: 'listen.host',
  explicitPort: 'listen.explicitPort',
  credentialsPort: 'listen.credentialsPort',
  opsPort: 'listen.opsPort',
  initiator: 'identity.initiator',
  tokenFile: 'credentials.tokenFile',
  interceptHost: 'intercept.extraHosts',
  logLevel: 'logLevel',
  nats: 'audit.natsUrl',
  auditStore: 'audit.storePath',
  spoolDir: 'audit.spoolDir',
  auditFailMode: 'audit.failMode',
  cluster: 'identity.cluster',
  namespace: 'identity.namespace',
  pod: 'identity.pod',
  podLabels: 'identity.podLabels',
  policy: 'policy.file',
  watchPolicies: 'policy.watch',
};

export function registerSidecarCommand(program: Command): void {
  program
    .command('sidecar')
    .description('run the AWS gateway sidecar (explicit proxy, credential endpoint, metrics)')
    .option('--config <file>', 'YAML config file')
    .option('--upstream-endpoint <url>', 'send every AWS call to this endpoint (moto, LocalStack, a VPC endpoint)')
    .option('--listen-host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--explicit-port <port>', 'AWS_ENDPOINT_URL / HTTPS_PROXY port (default 15080)')
    .option('--credentials-port <port>', 'container-credentials endpoint port (default 15081)')
    .option('--ops-port <port>', '/healthz, /readyz, /metrics port (default 15090)')
    .option('--initiator <name>', 'initiator of the root session')
    .option('--token-file <file>', 'root session token file (read if present, else written)')
    .option('--intercept-host <hosts>', 'extra hosts to terminate TLS for, comma-separated (exact or *.suffix)')
    .option('--log-level <level>', 'error | warn | info | debug')
    .option('--nats <urls>', 'NATS server(s) for the audit trail (JetStream), comma-separated')
    .option('--audit-store <file>', 'write the audit trail into this SQLite store instead of NATS (single host)')
    .option('--spool-dir <dir>', 'audit spool directory (events wait here for JetStream acks)')
    .option('--audit-fail-mode <mode>', 'closed (refuse calls while the trail cannot be kept) | open')
    .option('--cluster <name>', 'cluster name recorded with every event')
    .option('--namespace <ns>', 'pod namespace recorded with every event')
    .option('--pod <name>', 'pod name recorded with every event')
    .option('--pod-labels <labels>', 'this pod\'s labels (key=value,…), for GatewayPolicy podSelectors')
    .option('--policy <file>', 'enforce the GatewayPolicies in this YAML file')
    .option('--watch-policies', 'enforce the GatewayPolicies the controller publishes (NATS KV, needs --nats)')
    .action(async (opts: Record<string, string | undefined>) => {
      const flags = configFlags(opts, FLAG_PATHS);
      let store: SqliteAuditStore | undefined;
      const sidecar = await loadOrExit('sidecar', async () => {
        const config = loadSidecarConfig({ flags, env: process.env, ...(opts['config'] !== undefined ? { configFile: opts['config'] } : {}) });
        if (config.audit.natsUrl === undefined && config.audit.storePath === undefined) {
          throw new ConfigError([{ path: 'audit', message: 'no audit trail configured: give audit.natsUrl (--nats) or audit.storePath (--audit-store)' }]);
        }
        const logger = createLogger(config.logLevel, { component: 'sidecar' });
        // The store (collector package) only when the trail is local: a cluster sidecar sends it to NATS.
        if (config.audit.storePath !== undefined) store = (await import('@agentrail/collector')).SqliteAuditStore.open(config.audit.storePath);
        return new Sidecar({ config, logger, processMetrics: true, ...(store !== undefined ? { auditTransport: new StoreAuditTransport({ store, logger }) } : {}) });
      });
      const endpoints = await sidecar.start();
      process.stdout.write(`${JSON.stringify({ explicit: endpoints.explicitUrl, credentials: endpoints.credentialsUrl, ops: endpoints.opsUrl, session: endpoints.rootSession.id })}\n`);
      stopOnSignals('sidecar', 'draining', async () => {
        await sidecar.stop();
        store?.close();
      });
    });
}
