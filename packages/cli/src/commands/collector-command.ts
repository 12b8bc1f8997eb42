import type { Command } from 'commander';
import { Collector, loadCollectorConfig } from '@agentrail/collector';
import { configFlags, loadOrExit, stopOnSignals } from './service-command.js';

/** Maps CLI flags to config paths; only flags the user gave are passed on. */
const FLAG_PATHS: Record<string, string> = {
  nats: 'nats.url',
  store: 'store.path',
  apiHost: 'api.host',
  apiPort: 'api.port',
  oidcIssuer: 'api.oidc.issuer',
  oidcAudience: 'api.oidc.audience',
  allowedGroups: 'api.oidc.allowedGroups',
  apiTokenFile: 'api.tokenFile',
  retentionDays: 'retention.maxAgeDays',
  logLevel: 'logLevel',
};

export function registerCollectorCommand(program: Command): void {
  program
    .command('collector')
    .description('consume the audit stream from NATS JetStream into the store, and serve the search API')
    .option('--config <file>', 'YAML config file')
    .option('--nats <urls>', 'NATS server(s), comma-separated')
    .option('--store <path>', 'SQLite audit store (default /var/lib/agentrail/audit.db)')
    .option('--api-host <host>', 'API listen address (default 0.0.0.0)')
    .option('--api-port <port>', 'API port (default 8443)')
    .option('--oidc-issuer <url>', 'OIDC issuer whose ID tokens the API accepts')
    .option('--oidc-audience <aud>', 'audience (client id) of those tokens')
    .option('--allowed-groups <groups>', 'groups that may read the trail, comma-separated')
    .option('--api-token-file <file>', 'a shared bearer token instead of OIDC (single user, development)')
    .option('--retention-days <days>', 'delete events older than this (0: keep everything)')
    .option('--log-level <level>', 'error | warn | info | debug')
    .action(async (opts: Record<string, string | undefined>) => {
      const flags = configFlags(opts, FLAG_PATHS);
      const collector = await loadOrExit('collector', () => new Collector(loadCollectorConfig({ flags, env: process.env, ...(opts['config'] !== undefined ? { configFile: opts['config'] } : {}) })));
      const { apiUrl } = await collector.start();
      process.stdout.write(`${JSON.stringify({ api: apiUrl })}\n`);
      stopOnSignals('collector', 'stopping', () => collector.stop());
    });
}
