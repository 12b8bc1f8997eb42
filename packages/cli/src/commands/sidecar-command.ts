import type { Command } from 'commander';
import { ConfigError } from '@agentrail/core';
import { Sidecar, loadSidecarConfig } from '@agentrail/sidecar';

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
    .action(async (opts: Record<string, string | undefined>) => {
      const flags: Record<string, unknown> = {};
      for (const [flag, path] of Object.entries(FLAG_PATHS)) if (opts[flag] !== undefined) flags[path] = opts[flag];
      let sidecar: Sidecar;
      try {
        const config = loadSidecarConfig({ flags, env: process.env, ...(opts['config'] !== undefined ? { configFile: opts['config'] } : {}) });
        sidecar = new Sidecar({ config, processMetrics: true });
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`agentrail sidecar: ${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
      const endpoints = await sidecar.start();
      process.stdout.write(`${JSON.stringify({ explicit: endpoints.explicitUrl, credentials: endpoints.credentialsUrl, ops: endpoints.opsUrl, session: endpoints.rootSession.id })}\n`);
      const shutdown = (signal: string) => {
        process.stderr.write(`agentrail sidecar: ${signal}, draining\n`);
        void sidecar.stop().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
}
