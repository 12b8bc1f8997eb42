import type { Actor, AuditEvent, AwsCallEvent } from '@agentrail/core';
import { activityIdOf, activityName, type OcsfActivityId } from './ocsf-activity.js';

/**
 * Export of the audit trail as OCSF 1.1.0 API Activity (class 6003, category 6
 * Application Activity), the class CloudTrail maps to.
 *
 * Only `aws.call` events are exported: they are API activity. Session start
 * and end are not authentications (the sidecar hands out credentials without
 * a logon), and `audit.degraded` is about the trail itself, so none of them
 * has an honest OCSF class; they stay in the JSONL export.
 *
 * What OCSF has no place for — the identity chain, the decision, the hash
 * chain, the masked bodies — goes under `unmapped`.
 */

export const OCSF_VERSION = '1.1.0';
export const OCSF_API_ACTIVITY_CLASS = 6003;

/** One OCSF API Activity record (the attributes this export fills). */
export interface OcsfApiActivity {
  class_uid: 6003;
  class_name: 'API Activity';
  category_uid: 6;
  category_name: 'Application Activity';
  activity_id: OcsfActivityId;
  activity_name: string;
  type_uid: number;
  type_name: string;
  /** Epoch milliseconds. */
  time: number;
  duration: number;
  severity_id: 1 | 2 | 3;
  severity: 'Informational' | 'Low' | 'Medium';
  status_id: 1 | 2;
  status: 'Success' | 'Failure';
  status_code?: string;
  status_detail?: string;
  message: string;
  metadata: {
    version: string;
    product: { name: 'AgentRail'; vendor_name: 'AgentRail' };
    uid: string;
    correlation_uid: string;
    sequence: number;
    original_time: string;
    profiles: string[];
  };
  api: {
    operation: string;
    service: { name: string };
    request?: { uid: string };
    response: { code: number; error?: string; error_message?: string };
  };
  actor: {
    user: { name: string };
    session: { uid: string; issuer?: string };
    app_name?: string;
    invoked_by: string;
    authorizations: Array<{ decision: string; policy?: { name: string; uid?: string } }>;
  };
  src_endpoint: { name?: string; uid?: string; hostname?: string };
  dst_endpoint: { hostname: string; svc_name: string };
  http_request: { http_method: string; url: { hostname: string; path: string; query_string?: string }; user_agent?: string };
  http_response: { code: number };
  resources: Array<{ uid: string }>;
  cloud: { provider: 'AWS'; region?: string; account?: { uid: string } };
  unmapped: Record<string, unknown>;
}

/** `User alice → Pod agents/planner → Agent s3-cleanup`. */
function formatChain(chain: readonly Actor[]): string {
  return chain.map((a) => `${a.type} ${a.name}`).join(' → ');
}

/** A gateway refusal is a policy event worth a look; an AWS error less so; the rest is routine. */
function severityOf(e: AwsCallEvent): Pick<OcsfApiActivity, 'severity_id' | 'severity'> {
  if (e.decision.action !== 'Allow') return { severity_id: 3, severity: 'Medium' };
  if (e.response.status >= 400 || e.response.status === 0) return { severity_id: 2, severity: 'Low' };
  return { severity_id: 1, severity: 'Informational' };
}

function queryString(query: AwsCallEvent['request']['query']): string | undefined {
  if (query === undefined) return undefined;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const value of typeof v === 'string' ? [v] : v) params.append(k, value);
  const s = params.toString();
  return s === '' ? undefined : s;
}

/**
 * Maps an `aws.call` event to OCSF API Activity; other event types give
 * undefined (see the module comment). Bodies were masked when the event was
 * made and are passed on as they are.
 *
 * @example toOcsfApiActivity(event)?.type_uid // 600302 for s3:GetObject
 */
export function toOcsfApiActivity(event: AuditEvent): OcsfApiActivity | undefined {
  if (event.type !== 'aws.call') return undefined;
  const e = event;
  const activity = activityIdOf(e.aws.operation);
  const ok = e.response.status >= 200 && e.response.status < 400;
  const operation = e.aws.operation.slice(e.aws.operation.indexOf(':') + 1);
  const last = e.chain[e.chain.length - 1];
  const query = queryString(e.request.query);
  const src: OcsfApiActivity['src_endpoint'] = {};
  if (e.source.pod !== undefined) src.name = e.source.namespace !== undefined ? `${e.source.namespace}/${e.source.pod}` : e.source.pod;
  if (e.source.uid !== undefined) src.uid = e.source.uid;
  if (e.source.host !== undefined) src.hostname = e.source.host;
  const policy = e.decision.policy !== undefined ? { name: e.decision.policy, ...(e.decision.rule !== undefined ? { uid: `${e.decision.policy}/${e.decision.rule}` } : {}) } : undefined;
  return {
    class_uid: 6003,
    class_name: 'API Activity',
    category_uid: 6,
    category_name: 'Application Activity',
    activity_id: activity,
    activity_name: activityName(activity),
    type_uid: OCSF_API_ACTIVITY_CLASS * 100 + activity,
    type_name: `API Activity: ${activityName(activity)}`,
    time: Date.parse(e.time),
    duration: Math.round(e.response.latencyMs),
    ...severityOf(e),
    status_id: ok ? 1 : 2,
    status: ok ? 'Success' : 'Failure',
    ...(e.response.errorCode !== undefined ? { status_code: e.response.errorCode } : {}),
    ...(e.response.errorMessage !== undefined ? { status_detail: e.response.errorMessage } : {}),
    message: `${e.aws.operation} ${e.decision.action === 'Allow' ? 'allowed' : e.decision.action === 'Deny' ? 'denied' : 'held for approval'}` +
      `${e.decision.policy !== undefined ? ` by ${e.decision.policy}${e.decision.rule !== undefined ? `/${e.decision.rule}` : ''}` : ''}, HTTP ${e.response.status}`,
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'AgentRail', vendor_name: 'AgentRail' },
      uid: e.id,
      correlation_uid: e.session.id,
      sequence: e.session.seq,
      original_time: e.time,
      profiles: ['cloud'],
    },
    api: {
      operation,
      service: { name: e.aws.service },
      ...(e.aws.requestId !== undefined ? { request: { uid: e.aws.requestId } } : {}),
      response: {
        code: e.response.status,
        ...(e.response.errorCode !== undefined ? { error: e.response.errorCode } : {}),
        ...(e.response.errorMessage !== undefined ? { error_message: e.response.errorMessage } : {}),
      },
    },
    actor: {
      user: { name: e.initiator },
      session: { uid: e.session.id, ...(e.aws.roleArn !== undefined ? { issuer: e.aws.roleArn } : {}) },
      ...(last !== undefined ? { app_name: last.name } : {}),
      invoked_by: formatChain(e.chain),
      authorizations: [{ decision: e.decision.action, ...(policy !== undefined ? { policy } : {}) }],
    },
    src_endpoint: src,
    dst_endpoint: { hostname: e.aws.host, svc_name: e.aws.service },
    http_request: {
      http_method: e.request.method,
      url: { hostname: e.aws.host, path: e.request.path, ...(query !== undefined ? { query_string: query } : {}) },
      ...(e.source.userAgent !== undefined ? { user_agent: e.source.userAgent } : {}),
    },
    http_response: { code: e.response.status },
    resources: e.aws.resources.filter((r) => r !== '*').map((uid) => ({ uid })),
    cloud: { provider: 'AWS', ...(e.aws.region !== '' ? { region: e.aws.region } : {}), ...(e.aws.account !== undefined ? { account: { uid: e.aws.account } } : {}) },
    unmapped: {
      chain: e.chain,
      decision: e.decision,
      session: e.session,
      source: e.source,
      response_from: e.response.from,
      ...(e.aws.sourceIdentity !== undefined ? { source_identity: e.aws.sourceIdentity } : {}),
      ...(e.request.body !== undefined ? { request_body: e.request.body } : {}),
      ...(e.response.body !== undefined ? { response_body: e.response.body } : {}),
      ...(e.masking !== undefined ? { masking: e.masking } : {}),
    },
  };
}
