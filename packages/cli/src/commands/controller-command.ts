import type { Command } from 'commander';
import { createLogger, readConfigFile } from '@agentrail/core';
import type { ControllerConfig } from '@agentrail/controller';
import { configFlags, loadOrExit, stopOnSignals } from './service-command.js';

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
      const flags = configFlags(opts, FLAG_PATHS);
      const config: ControllerConfig = await loadOrExit('controller', () => loadControllerConfig({ flags, env: process.env, file: readConfigFile(opts['config']) }));
      const logger = createLogger(config.logLevel, { component: 'controller' });
      const controller = GatewayPolicyController.fromConfig(config, logger);
      const { opsUrl } = await controller.start();
      process.stdout.write(`${JSON.stringify({ ops: opsUrl, identity: config.leaderElection.identity })}\n`);
      stopOnSignals('controller', 'releasing the lease', () => controller.stop());
    });
}
