import { readConfigFile, resolveConfig, type FieldSpec } from '@agentrail/core';

/** The collector's settings, validated and frozen. */
export interface CollectorConfig {
  nats: { url: string };
  store: { path: string };
  api: {
    host: string;
    port: number;
    oidc: { issuer?: string; audience?: string; groupsClaim: string; allowedGroups: string[]; allowAnyAuthenticated: boolean };
    /** A shared bearer token (file), for single-user and development set-ups; OIDC is for everything else. */
    tokenFile?: string;
  };
  retention: { maxAgeDays: number; intervalMinutes: number };
  ingest: { batchSize: number; batchWaitMs: number };
  logLevel: string;
}

/** Every setting: its path (also its key in the config file), type, bounds, env variable and default. */
export const COLLECTOR_FIELDS: readonly FieldSpec[] = [
  { path: 'nats.url', type: 'string', env: 'AGENTRAIL_NATS_URL', required: true },
  { path: 'store.path', type: 'string', env: 'AGENTRAIL_STORE', default: '/var/lib/agentrail/audit.db' },
  { path: 'api.host', type: 'string', env: 'AGENTRAIL_API_HOST', default: '0.0.0.0' },
  { path: 'api.port', type: 'integer', env: 'AGENTRAIL_API_PORT', default: 8443, min: 0, max: 65535 },
  { path: 'api.oidc.issuer', type: 'url', env: 'AGENTRAIL_OIDC_ISSUER' },
  { path: 'api.oidc.audience', type: 'string', env: 'AGENTRAIL_OIDC_AUDIENCE' },
  { path: 'api.oidc.groupsClaim', type: 'string', default: 'groups' },
  { path: 'api.oidc.allowedGroups', type: 'string[]', env: 'AGENTRAIL_OIDC_ALLOWED_GROUPS', default: [] },
  { path: 'api.oidc.allowAnyAuthenticated', type: 'boolean', default: false },
  { path: 'api.tokenFile', type: 'string', env: 'AGENTRAIL_API_TOKEN_FILE' },
  { path: 'retention.maxAgeDays', type: 'integer', env: 'AGENTRAIL_RETENTION_DAYS', default: 0, min: 0, max: 36_500 },
  { path: 'retention.intervalMinutes', type: 'integer', default: 60, min: 1, max: 10_080 },
  { path: 'ingest.batchSize', type: 'integer', default: 1000, min: 1, max: 10_000 },
  { path: 'ingest.batchWaitMs', type: 'integer', default: 50, min: 1, max: 10_000 },
  { path: 'logLevel', type: 'string', env: 'AGENTRAIL_LOG_LEVEL', default: 'info', oneOf: ['error', 'warn', 'info', 'debug'] },
];

/**
 * Loads the collector configuration: flags > config file > env > defaults.
 * The API never runs unauthenticated: OIDC (issuer + audience + groups) or a
 * token file must be configured.
 */
export function loadCollectorConfig(opts: { flags?: Record<string, unknown>; configFile?: string; env?: NodeJS.ProcessEnv }): CollectorConfig {
  const file = readConfigFile(opts.configFile);
  return resolveConfig<CollectorConfig>(COLLECTOR_FIELDS, { flags: opts.flags ?? {}, file, env: opts.env ?? {} }, [apiAuthentication]);
}

function apiAuthentication(resolved: Readonly<Record<string, unknown>>): { path: string; message: string } | undefined {
  const api = resolved['api'] as CollectorConfig['api'] | undefined;
  if (api === undefined) return undefined;
  const oidc = api.oidc;
  if (oidc?.issuer !== undefined) {
    if (oidc.audience === undefined) return { path: 'api.oidc.audience', message: 'is required with api.oidc.issuer' };
    if (oidc.allowedGroups.length === 0 && !oidc.allowAnyAuthenticated) {
      return { path: 'api.oidc.allowedGroups', message: 'name the groups that may read the trail (or set api.oidc.allowAnyAuthenticated: true)' };
    }
    return undefined;
  }
  if (api.tokenFile !== undefined) return undefined;
  return { path: 'api', message: 'the API needs authentication: set api.oidc.issuer (with audience and allowedGroups) or api.tokenFile' };
}
