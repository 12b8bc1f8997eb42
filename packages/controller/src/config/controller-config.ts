import { hostname } from 'node:os';
import { resolveConfig, type FieldSpec } from '@agentrail/core';

/** The controller's settings, validated and frozen. */
export interface ControllerConfig {
  /** Kubeconfig file; absent: KUBECONFIG, then ~/.kube/config, then the in-cluster service account. */
  kubeconfig?: string;
  nats: { url: string };
  leaderElection: {
    /** Namespace of the Lease (the controller's own namespace). */
    namespace: string;
    leaseName: string;
    /** This replica's name in the Lease (its pod name). */
    identity: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  listen: { opsHost: string; opsPort: number };
  workers: number;
  resyncIntervalMs: number;
  logLevel: string;
}

/** Every setting: its path (also its key in the config file), type, bounds, env variable and default. */
export const CONTROLLER_FIELDS: readonly FieldSpec[] = [
  { path: 'kubeconfig', type: 'string', env: 'AGENTRAIL_KUBECONFIG' },
  { path: 'nats.url', type: 'string', env: 'AGENTRAIL_NATS_URL', required: true, check: (v) => ((v as string).split(',').every((u) => /^(nats|tls|wss?):\/\/[^\s]+$/.test(u.trim())) ? undefined : `must be nats:// URLs, comma-separated, got "${String(v)}"`) },
  // The chart sets these two from the downward API (metadata.namespace, metadata.name).
  { path: 'leaderElection.namespace', type: 'string', env: 'AGENTRAIL_POD_NAMESPACE', default: 'agentrail-system', check: dnsLabel },
  { path: 'leaderElection.identity', type: 'string', env: 'AGENTRAIL_POD_NAME', default: hostname() },
  { path: 'leaderElection.leaseName', type: 'string', default: 'agentrail-controller', check: dnsLabel },
  { path: 'leaderElection.leaseDurationMs', type: 'integer', default: 15_000, min: 2_000, max: 300_000 },
  { path: 'leaderElection.renewDeadlineMs', type: 'integer', default: 10_000, min: 1_000, max: 300_000 },
  { path: 'leaderElection.retryPeriodMs', type: 'integer', default: 2_000, min: 200, max: 60_000 },
  { path: 'listen.opsHost', type: 'string', env: 'AGENTRAIL_OPS_HOST', default: '0.0.0.0' },
  { path: 'listen.opsPort', type: 'integer', env: 'AGENTRAIL_OPS_PORT', default: 15091, min: 0, max: 65535 },
  { path: 'workers', type: 'integer', default: 2, min: 1, max: 64 },
  { path: 'resyncIntervalMs', type: 'integer', default: 60_000, min: 1_000, max: 3_600_000 },
  { path: 'logLevel', type: 'string', env: 'AGENTRAIL_LOG_LEVEL', default: 'info', oneOf: ['error', 'warn', 'info', 'debug'] },
];

/**
 * Resolves the controller configuration: flags > config file (already parsed,
 * e.g. from YAML) > env > defaults. Throws ConfigError listing every problem
 * with its path.
 */
export function loadControllerConfig(opts: { flags?: Record<string, unknown>; file?: unknown; env?: NodeJS.ProcessEnv }): ControllerConfig {
  return resolveConfig<ControllerConfig>(CONTROLLER_FIELDS, { flags: opts.flags ?? {}, file: opts.file, env: opts.env ?? {} }, [electionTiming]);
}

function dnsLabel(v: unknown): string | undefined {
  return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v as string) ? undefined : `must be a DNS label, got "${String(v)}"`;
}

/** As client-go requires: retry < renew deadline < lease duration, or two leaders could overlap. */
function electionTiming(resolved: Readonly<Record<string, unknown>>): { path: string; message: string } | undefined {
  const le = resolved['leaderElection'] as { leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number } | undefined;
  if (le?.leaseDurationMs === undefined || le.renewDeadlineMs === undefined || le.retryPeriodMs === undefined) return undefined;
  if (le.renewDeadlineMs >= le.leaseDurationMs) return { path: 'leaderElection.renewDeadlineMs', message: `must be less than leaderElection.leaseDurationMs (${le.leaseDurationMs})` };
  if (le.retryPeriodMs >= le.renewDeadlineMs) return { path: 'leaderElection.retryPeriodMs', message: `must be less than leaderElection.renewDeadlineMs (${le.renewDeadlineMs})` };
  return undefined;
}
