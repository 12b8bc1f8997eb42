import type { Command } from 'commander';
import { ConfigError, createLogger, readConfigFile } from '@agentrail/core';
import type { ControllerConfig } from '@agentrail/controller';

/** Maps CLI flags to config paths; only flags the user gave are passed on. */
const FLAG_PATHS: Record<string, string> = {
  kubeconfig: 'kubeconfig',
  nats: 'nats.url',
  leaseNamespace: 'leaderElection.namespace',
  identity: 'leaderElection.identity',
  opsHost: 'listen.opsHost',
  opsPort: 'listen.opsPort',
  workers: 'workers',
  logLevel: 'logLevel',
};

/** `agentrail controller`: reconciles GatewayPolicies into the NATS KV bucket the sidecars watch. */
export function registerControllerCommand(program: Command): void {
  program
    .command('controller')
    .description('reconcile GatewayPolicies: compile, write status, publish to NATS KV for the sidecars (leader-elected)')
    .option('--config <file>', 'YAML config file')
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, ~/.kube/config, then in-cluster)')
    .option('--nats <urls>', 'NATS server(s), comma-separated')
    .option('--lease-namespace <ns>', 'namespace of the leader Lease (default: $AGENTRAIL_POD_NAMESPACE, else agentrail-system)')
    .option('--identity <name>', 'this replica\'s name in the Lease (default: $AGENTRAIL_POD_NAME, else the host name)')
    .option('--ops-host <host>', '/healthz, /readyz, /metrics address (default 0.0.0.0)')
    .option('--ops-port <port>', '/healthz, /readyz, /metrics port (default 15091)')
    .option('--workers <n>', 'concurrent reconciles (default 2)')
    .option('--log-level <level>', 'error | warn | info | debug')
    .action(async (opts: Record<string, string | undefined>) => {
      // Loaded here, not with the CLI: the Kubernetes client alone is ~40 MiB of
      // heap, which every other command (the sidecar in each pod) would carry.
      const { GatewayPolicyController, loadControllerConfig } = await import('@agentrail/controller');
      const flags: Record<string, unknown> = {};
      for (const [flag, path] of Object.entries(FLAG_PATHS)) if (opts[flag] !== undefined) flags[path] = opts[flag];
      let config: ControllerConfig;
      try {
        config = loadControllerConfig({ flags, env: process.env, file: readConfigFile(opts['config']) });
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`agentrail controller: ${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
      const logger = createLogger(config.logLevel, { component: 'controller' });
      const controller = GatewayPolicyController.fromConfig(config, logger);
      const { opsUrl } = await controller.start();
      process.stdout.write(`${JSON.stringify({ ops: opsUrl, identity: config.leaderElection.identity })}\n`);
      const shutdown = (signal: string) => {
        process.stderr.write(`agentrail controller: ${signal}, releasing the lease\n`);
        void controller.stop().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
}
