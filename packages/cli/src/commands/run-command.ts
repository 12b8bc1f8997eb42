import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { AGENT_NAME, ConfigError, createLogger, type AgentRailError } from '@agentrail/core';
import { SqliteAuditStore } from '@agentrail/collector';
import { Sidecar, loadSidecarConfig, type SidecarConfig } from '@agentrail/sidecar';
import { agentEnvironment, type InterceptMode } from '../local/agent-environment.js';
import { agentrailHome, defaultStorePath } from '../local/agentrail-home.js';
import { runChild } from '../local/run-child.js';
import { StoreAuditTransport } from '../local/store-audit-transport.js';

interface RunOptions {
  agent?: string;
  policy?: string;
  store?: string;
  nats?: string;
  upstreamEndpoint?: string;
  mode: string;
  logLevel?: string;
}

/** Set for commands under `agentrail run`: where to delegate a nested session. */
const DELEGATIONS_ENV = 'AGENTRAIL_DELEGATIONS_URL';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run a command through an embedded AgentRail sidecar: ephemeral credentials, every AWS call audited; nested inside another run, a delegated session')
    .option('--agent <name>', 'name of the agent this command is (nested default: the command name)')
    .option('--policy <file>', 'enforce the GatewayPolicies in this YAML file (multi-document)')
    .option('--store <path>', 'audit store (SQLite) (default: $AGENTRAIL_STORE or ~/.agentrail/audit.db)')
    .option('--nats <url>', 'send the audit trail to NATS JetStream (a collector) instead of the local store')
    .option('--upstream-endpoint <url>', 'send every AWS call to this endpoint (moto, LocalStack, a VPC endpoint)')
    .option('--mode <mode>', 'how calls reach the sidecar: endpoint (AWS_ENDPOINT_URL), proxy (HTTPS_PROXY) or both', 'both')
    .option('--log-level <level>', 'sidecar log level: error | warn | info | debug (default warn)')
    .argument('<command...>', 'the command and its arguments (after --)')
    .passThroughOptions()
    .action(async (argv: string[], opts: RunOptions) => {
      const [command, ...args] = argv as [string, ...string[]];
      if (!['endpoint', 'proxy', 'both'].includes(opts.mode)) usage(`--mode must be endpoint, proxy or both, got "${opts.mode}"`);
      if (opts.agent !== undefined && !AGENT_NAME.test(opts.agent)) usage('--agent must be 1-128 printable characters (letters, digits, space, ._:@/-), starting with a letter or digit');
      const parent = process.env[DELEGATIONS_ENV];
      const code = parent !== undefined && process.env['AWS_CONTAINER_AUTHORIZATION_TOKEN'] !== undefined
        ? await runNested(parent, command, args, opts)
        : await runWithSidecar(command, args, opts);
      process.exit(code);
    });
}

/** Inside another run: a delegated child session of the running sidecar, no new sidecar. */
async function runNested(delegationsUrl: string, command: string, args: string[], opts: RunOptions): Promise<number> {
  for (const [flag, v] of [['--store', opts.store], ['--nats', opts.nats], ['--upstream-endpoint', opts.upstreamEndpoint], ['--policy', opts.policy]] as const) {
    if (v !== undefined) process.stderr.write(`agentrail run: ${flag} is ignored inside another agentrail run (the outermost run records the trail)\n`);
  }
  const token = process.env['AWS_CONTAINER_AUTHORIZATION_TOKEN'] as string;
  const agent = opts.agent ?? agentNameOf(command);
  const res = await fetch(delegationsUrl, {
    method: 'POST', headers: { authorization: token, 'content-type': 'application/json' }, body: JSON.stringify({ agent }),
  }).catch((err: unknown) => fail(`the enclosing agentrail run is not reachable at ${delegationsUrl} (${(err as Error).message})`));
  const body = await res.json().catch(() => ({})) as { token?: string; message?: string };
  if (res.status !== 201 || body.token === undefined) fail(`delegation refused by the enclosing agentrail run: ${body.message ?? `HTTP ${res.status}`}`);
  try {
    return await runChild(command, args, { ...process.env, AWS_CONTAINER_AUTHORIZATION_TOKEN: body.token });
  } finally {
    // The session ends with the command, and its keys stop working.
    await fetch(delegationsUrl, { method: 'DELETE', headers: { authorization: body.token } }).catch(() => undefined);
  }
}

async function runWithSidecar(command: string, args: string[], opts: RunOptions): Promise<number> {
  const flags: Record<string, unknown> = {
    'listen.host': '127.0.0.1', 'listen.explicitPort': 0, 'listen.credentialsPort': 0, 'listen.opsPort': 0,
    logLevel: opts.logLevel ?? 'warn',
    // A local run ends when its command does: drain quickly.
    drainTimeoutMs: 5000,
  };
  if (opts.upstreamEndpoint !== undefined) flags['upstream.endpoint'] = opts.upstreamEndpoint;
  if (opts.policy !== undefined) flags['policy.file'] = opts.policy;
  if (opts.nats !== undefined) {
    flags['audit.natsUrl'] = opts.nats;
    // One spool per run: a spool directory belongs to one process at a time.
    flags['audit.spoolDir'] = join(agentrailHome(), 'spool', String(process.pid));
  }
  let config: SidecarConfig;
  try {
    // The store and NATS settings come from the flags here, never from a sidecar's environment.
    config = loadSidecarConfig({ flags, env: { ...process.env, AGENTRAIL_STORE: undefined, AGENTRAIL_NATS_URL: undefined } });
  } catch (err) {
    if (err instanceof ConfigError) usage(err.message);
    throw err;
  }
  const logger = createLogger(config.logLevel, { component: 'agentrail-run' });
  let store: SqliteAuditStore | undefined;
  if (opts.nats === undefined) {
    const path = opts.store ?? defaultStorePath();
    try {
      store = SqliteAuditStore.open(path);
    } catch (err) {
      fail(`cannot open the audit store ${path}: ${(err as AgentRailError).message}`);
    }
  }
  let sidecar: Sidecar;
  try {
    sidecar = new Sidecar({
      config, logger, initiatorFromCredentials: true,
      ...(store !== undefined ? { auditTransport: new StoreAuditTransport({ store, logger }) } : {}),
      ...(opts.agent !== undefined ? { rootAgent: opts.agent } : {}),
    });
  } catch (err) {
    // A policy file with errors: every one is listed.
    if (err instanceof ConfigError) usage(err.message);
    throw err;
  }
  const dir = mkdtempSync(join(tmpdir(), 'agentrail-run-'));
  try {
    const endpoints = await sidecar.start().catch((err: unknown) => fail((err as Error).message));
    const caBundleFile = join(dir, 'ca-bundle.pem');
    const emptyFile = join(dir, 'empty');
    writeFileSync(caBundleFile, endpoints.caBundlePem);
    writeFileSync(emptyFile, '');
    const env = agentEnvironment({
      base: process.env,
      credentialsUrl: endpoints.credentialsUrl,
      delegationsUrl: endpoints.delegationsUrl,
      token: endpoints.rootToken,
      explicitUrl: endpoints.explicitUrl,
      caBundleFile, emptyFile,
      region: config.upstream.defaultRegion,
      mode: opts.mode as InterceptMode,
    });
    return await runChild(command, args, env).catch((err: unknown) => {
      process.stderr.write(`agentrail run: ${(err as Error).message}\n`);
      return 127;
    });
  } finally {
    await sidecar.stop();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A readable default agent name: the command's base name, made to fit AGENT_NAME. */
function agentNameOf(command: string): string {
  const name = basename(command).replace(/[^A-Za-z0-9 ._:@/-]/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, 128);
  return name === '' ? 'agent' : name;
}

function usage(message: string): never {
  process.stderr.write(`agentrail run: ${message}\n`);
  process.exit(2);
}

function fail(message: string): never {
  process.stderr.write(`agentrail run: ${message}\n`);
  process.exit(1);
}
