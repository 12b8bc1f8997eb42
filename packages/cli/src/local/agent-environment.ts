/**
 * What a command run under `agentrail run` sees of AWS: the sidecar's
 * credential endpoint and token, its endpoint and proxy, and the CA bundle —
 * and none of the real credentials. Every variable through which an SDK could
 * find other credentials is removed, and the shared config/credentials files
 * are pointed at an empty file, because the SDKs' default chains consult
 * profiles before the container endpoint.
 */
const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'AWS_CREDENTIAL_EXPIRATION',
  'AWS_ACCESS_KEY', 'AWS_SECRET_KEY', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN', 'AWS_ENDPOINT_URL',
];

/** How calls reach the sidecar: `endpoint` (AWS_ENDPOINT_URL), `proxy` (HTTPS_PROXY), or both (the default). */
export type InterceptMode = 'endpoint' | 'proxy' | 'both';

export interface AgentEnvironmentInput {
  base: NodeJS.ProcessEnv;
  credentialsUrl: string;
  delegationsUrl: string;
  token: string;
  explicitUrl: string;
  caBundleFile: string;
  /** An empty file for AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE. */
  emptyFile: string;
  region: string;
  mode: InterceptMode;
}

export function agentEnvironment(i: AgentEnvironmentInput): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...i.base };
  for (const name of Object.keys(env)) {
    if (CREDENTIAL_VARIABLES.includes(name) || name.startsWith('AWS_ENDPOINT_URL_')) delete env[name];
  }
  Object.assign(env, {
    AWS_CONTAINER_CREDENTIALS_FULL_URI: i.credentialsUrl,
    AWS_CONTAINER_AUTHORIZATION_TOKEN: i.token,
    AGENTRAIL_DELEGATIONS_URL: i.delegationsUrl,
    AWS_SHARED_CREDENTIALS_FILE: i.emptyFile,
    AWS_CONFIG_FILE: i.emptyFile,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: i.base['AWS_REGION'] ?? i.region,
    AWS_DEFAULT_REGION: i.base['AWS_DEFAULT_REGION'] ?? i.base['AWS_REGION'] ?? i.region,
  });
  if (i.mode !== 'proxy') env['AWS_ENDPOINT_URL'] = i.explicitUrl;
  if (i.mode !== 'endpoint') {
    Object.assign(env, {
      HTTPS_PROXY: i.explicitUrl, https_proxy: i.explicitUrl,
      AWS_CA_BUNDLE: i.caBundleFile, REQUESTS_CA_BUNDLE: i.caBundleFile, SSL_CERT_FILE: i.caBundleFile, NODE_EXTRA_CA_CERTS: i.caBundleFile,
    });
    // The sidecar's own endpoints are plain HTTP on loopback: never through a proxy.
    const noProxy = [env['NO_PROXY'] ?? env['no_proxy'], '127.0.0.1', 'localhost', '::1'].filter((v) => v !== undefined && v !== '').join(',');
    env['NO_PROXY'] = noProxy;
    env['no_proxy'] = noProxy;
  }
  return env;
}
