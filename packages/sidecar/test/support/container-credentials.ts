/**
 * The agent's side of the sidecar's container-credentials endpoint
 * (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN`),
 * spoken by hand so a test sees exactly what an SDK would receive.
 */

/** Ephemeral credentials as the endpoint hands them out, in SDK naming. */
export interface AgentCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: string;
}

/**
 * GETs the credentials for the session `token` names; throws with the status
 * and body when the endpoint refuses.
 *
 * @example
 * const creds = await fetchAgentCredentials(sidecar.endpoints.credentialsUrl, sidecar.endpoints.rootToken);
 */
export async function fetchAgentCredentials(credentialsUrl: string, token: string): Promise<AgentCredentials> {
  const res = await fetch(credentialsUrl, { headers: { authorization: token } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${credentialsUrl} answered ${res.status}: ${text}`);
  const body = JSON.parse(text) as { AccessKeyId: string; SecretAccessKey: string; Token: string; Expiration: string };
  return { accessKeyId: body.AccessKeyId, secretAccessKey: body.SecretAccessKey, sessionToken: body.Token, expiration: body.Expiration };
}

/** The delegations endpoint next to a credentials URL (`…/v1/credentials` → `…/v1/delegations`). */
export function delegationsUrl(credentialsUrl: string): string {
  return credentialsUrl.replace(/\/v1\/credentials$/, '/v1/delegations');
}

/** A child session's token, as POST /v1/delegations answers. */
export interface Delegation {
  token: string;
  session: string;
  parent: string;
  chain: Array<{ type: string; name: string }>;
}

/** POSTs `{"agent": agent}` with the parent's token; throws unless the endpoint answers 201. */
export async function delegate(credentialsUrl: string, parentToken: string, agent: string): Promise<Delegation> {
  const res = await fetch(delegationsUrl(credentialsUrl), {
    method: 'POST',
    headers: { authorization: parentToken, 'content-type': 'application/json' },
    body: JSON.stringify({ agent }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST delegations answered ${res.status}: ${text}`);
  return JSON.parse(text) as Delegation;
}
