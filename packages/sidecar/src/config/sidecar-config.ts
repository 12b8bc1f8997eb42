import { readConfigFile, resolveConfig, type FieldSpec } from '@agentrail/core';

/** The sidecar's settings, validated and frozen. */
export interface SidecarConfig {
  listen: { host: string; explicitPort: number; credentialsPort: number; opsPort: number };
  upstream: { endpoint?: string; defaultRegion: string; connectTimeoutMs: number; headersTimeoutMs: number; bodyTimeoutMs: number; connections: number };
  identity: { initiator: string; cluster?: string; namespace?: string; pod?: string; podUid?: string; podLabels: string[] };
  policy: { file?: string; watch: boolean; unavailableAction: 'Allow' | 'Deny'; cacheFile?: string };
  audit: { natsUrl?: string; storePath?: string; spoolDir: string; spoolMaxBytes: number; fsync: boolean; failMode: 'closed' | 'open'; maxBodyBytes: number };
  credentials: { ttlSeconds: number; rotateBeforeSeconds: number; tokenFile?: string };
  intercept: { extraHosts: string[]; caValidityDays: number };
  limits: { maxBufferedBodyBytes: number; maxChunkBytes: number; maxHeaderBytes: number; clientIdleTimeoutMs: number; clockSkewSeconds: number };
  drainTimeoutMs: number;
  logLevel: string;
}

const port = (path: string, env: string, def: number): FieldSpec => ({ path, type: 'integer', env, default: def, min: 0, max: 65535 });
const MiB = 1024 * 1024;

/** Every setting: its path (also its key in the config file), type, bounds, env variable and default. */
export const SIDECAR_FIELDS: readonly FieldSpec[] = [
  { path: 'listen.host', type: 'string', env: 'AGENTRAIL_LISTEN_HOST', default: '127.0.0.1' },
  port('listen.explicitPort', 'AGENTRAIL_EXPLICIT_PORT', 15080),
  port('listen.credentialsPort', 'AGENTRAIL_CREDENTIALS_PORT', 15081),
  port('listen.opsPort', 'AGENTRAIL_OPS_PORT', 15090),
  { path: 'upstream.endpoint', type: 'url', env: 'AGENTRAIL_UPSTREAM_ENDPOINT' },
  { path: 'upstream.defaultRegion', type: 'string', env: 'AWS_REGION', default: 'us-east-1', check: (v) => (/^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/.test(v as string) ? undefined : `must be an AWS region name, got "${String(v)}"`) },
  { path: 'upstream.connectTimeoutMs', type: 'integer', default: 10_000, min: 100, max: 300_000 },
  { path: 'upstream.headersTimeoutMs', type: 'integer', default: 300_000, min: 100, max: 3_600_000 },
  { path: 'upstream.bodyTimeoutMs', type: 'integer', default: 300_000, min: 100, max: 3_600_000 },
  { path: 'upstream.connections', type: 'integer', default: 128, min: 1, max: 10_000 },
  { path: 'identity.initiator', type: 'string', env: 'AGENTRAIL_INITIATOR', default: 'unknown' },
  { path: 'identity.cluster', type: 'string', env: 'AGENTRAIL_CLUSTER' },
  { path: 'identity.namespace', type: 'string', env: 'AGENTRAIL_POD_NAMESPACE' },
  { path: 'identity.pod', type: 'string', env: 'AGENTRAIL_POD_NAME' },
  { path: 'identity.podUid', type: 'string', env: 'AGENTRAIL_POD_UID' },
  { path: 'identity.podLabels', type: 'string[]', env: 'AGENTRAIL_POD_LABELS', default: [], check: (v) => ((v as string[]).every((l) => /^[^=\s]+=[^\s]*$/.test(l)) ? undefined : 'must be key=value pairs') },
  { path: 'policy.file', type: 'string', env: 'AGENTRAIL_POLICY_FILE' },
  { path: 'policy.watch', type: 'boolean', env: 'AGENTRAIL_POLICY_WATCH', default: false },
  { path: 'policy.unavailableAction', type: 'string', env: 'AGENTRAIL_POLICY_UNAVAILABLE_ACTION', default: 'Deny', oneOf: ['Allow', 'Deny'] },
  { path: 'policy.cacheFile', type: 'string', env: 'AGENTRAIL_POLICY_CACHE_FILE' },
  { path: 'audit.natsUrl', type: 'string', env: 'AGENTRAIL_NATS_URL', check: (v) => ((v as string).split(',').every((u) => /^(nats|tls|wss?):\/\/[^\s]+$/.test(u.trim())) ? undefined : `must be nats:// URLs, comma-separated, got "${String(v)}"`) },
  { path: 'audit.storePath', type: 'string', env: 'AGENTRAIL_STORE' },
  { path: 'audit.spoolDir', type: 'string', env: 'AGENTRAIL_SPOOL_DIR', default: '/var/lib/agentrail/spool' },
  { path: 'audit.spoolMaxBytes', type: 'integer', default: 256 * MiB, min: MiB, max: 64 * 1024 * MiB },
  { path: 'audit.fsync', type: 'boolean', default: false },
  { path: 'audit.failMode', type: 'string', env: 'AGENTRAIL_AUDIT_FAIL_MODE', default: 'closed', oneOf: ['closed', 'open'] },
  { path: 'audit.maxBodyBytes', type: 'integer', default: 4096, min: 0, max: MiB },
  { path: 'credentials.ttlSeconds', type: 'integer', default: 3600, min: 900, max: 43_200 },
  { path: 'credentials.rotateBeforeSeconds', type: 'integer', default: 1800, min: 60, max: 43_000 },
  { path: 'credentials.tokenFile', type: 'string', env: 'AGENTRAIL_TOKEN_FILE' },
  { path: 'intercept.caValidityDays', type: 'integer', default: 90, min: 1, max: 825 },
  { path: 'intercept.extraHosts', type: 'string[]', env: 'AGENTRAIL_INTERCEPT_HOSTS', default: [] },
  { path: 'limits.maxBufferedBodyBytes', type: 'integer', default: 64 * MiB, min: 1024, max: 1024 * MiB },
  { path: 'limits.maxChunkBytes', type: 'integer', default: 16 * MiB, min: 8192, max: 256 * MiB },
  { path: 'limits.maxHeaderBytes', type: 'integer', default: 64 * 1024, min: 8192, max: 1024 * 1024 },
  { path: 'limits.clientIdleTimeoutMs', type: 'integer', default: 120_000, min: 1000, max: 3_600_000 },
  { path: 'limits.clockSkewSeconds', type: 'integer', default: 900, min: 1, max: 3600 },
  { path: 'drainTimeoutMs', type: 'integer', env: 'AGENTRAIL_DRAIN_TIMEOUT_MS', default: 30_000, min: 0, max: 600_000 },
  { path: 'logLevel', type: 'string', env: 'AGENTRAIL_LOG_LEVEL', default: 'info', oneOf: ['error', 'warn', 'info', 'debug'] },
];

/**
 * Loads the sidecar configuration: flags > config file > AGENTRAIL_* env >
 * defaults. Throws ConfigError listing every problem with its path.
 */
export function loadSidecarConfig(opts: { flags?: Record<string, unknown>; configFile?: string; env?: NodeJS.ProcessEnv }): SidecarConfig {
  const file = readConfigFile(opts.configFile);
  return resolveConfig<SidecarConfig>(SIDECAR_FIELDS, { flags: opts.flags ?? {}, file, env: opts.env ?? {} }, [rotationBeforeExpiry, oneAuditSink, onePolicySource]);
}

/** Credentials must rotate before they expire. */
function rotationBeforeExpiry(resolved: Readonly<Record<string, unknown>>): { path: string; message: string } | undefined {
  const c = resolved['credentials'] as { ttlSeconds?: number; rotateBeforeSeconds?: number } | undefined;
  if (c?.ttlSeconds === undefined || c.rotateBeforeSeconds === undefined || c.rotateBeforeSeconds < c.ttlSeconds) return undefined;
  return { path: 'credentials.rotateBeforeSeconds', message: `must be less than credentials.ttlSeconds (${c.ttlSeconds})` };
}

/** Events go to NATS (a cluster's collector) or straight into a local store, not both. */
function oneAuditSink(resolved: Readonly<Record<string, unknown>>): { path: string; message: string } | undefined {
  const a = resolved['audit'] as { natsUrl?: string; storePath?: string } | undefined;
  if (a?.natsUrl === undefined || a.storePath === undefined) return undefined;
  return { path: 'audit.storePath', message: 'give either audit.natsUrl or audit.storePath, not both' };
}

/** Policies come from a file or from the controller (NATS KV), not both. */
function onePolicySource(resolved: Readonly<Record<string, unknown>>): { path: string; message: string } | undefined {
  const p = resolved['policy'] as { file?: string; watch?: boolean } | undefined;
  if (p?.file !== undefined && p.watch === true) return { path: 'policy.watch', message: 'give either policy.file or policy.watch, not both' };
  const a = resolved['audit'] as { natsUrl?: string } | undefined;
  if (p?.watch === true && a !== undefined && a.natsUrl === undefined) return { path: 'policy.watch', message: 'watching policies needs NATS (audit.natsUrl)' };
  const i = resolved['identity'] as { namespace?: string } | undefined;
  if (p?.watch === true && i?.namespace === undefined) return { path: 'policy.watch', message: 'watching policies needs the pod\'s namespace (identity.namespace)' };
  return undefined;
}
