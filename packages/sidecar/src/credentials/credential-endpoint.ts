import type { IncomingMessage, ServerResponse } from 'node:http';
import { AGENT_NAME, type Logger } from '@agentrail/core';
import type { SessionRegistry } from './session-registry.js';
import type { SidecarMetrics } from '../ops/sidecar-metrics.js';

/** Path of the container-credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI). */
export const CREDENTIALS_PATH = '/v1/credentials';
/** Path where a process obtains a token for a delegated child session. */
export const DELEGATIONS_PATH = '/v1/delegations';

const MAX_BODY = 4096;

/**
 * The container-credentials protocol the AWS SDKs and CLIs speak
 * (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN`):
 * GET returns the session's ephemeral credentials; POST to the delegations path
 * with `{"agent": NAME}` returns a token for a child session whose chain is the
 * caller's plus `Agent NAME`; DELETE there with a delegated session's token ends
 * that session. Every request needs a session token.
 */
export function createCredentialHandler(registry: SessionRegistry, metrics: SidecarMetrics, logger: Logger) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const token = req.headers['authorization'];
    const path = (req.url ?? '').split('?')[0];
    const reply = (status: number, body: unknown): void => {
      const data = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), 'cache-control': 'no-store' });
      res.end(data);
    };
    if (path !== CREDENTIALS_PATH && path !== DELEGATIONS_PATH) {
      reply(404, { code: 'NotFound', message: `No such endpoint; credentials are served at ${CREDENTIALS_PATH}.` });
      return;
    }
    if (token === undefined || token === '') {
      metrics.credentialRequests.inc({ outcome: 'unauthenticated' });
      reply(401, { code: 'Unauthorized', message: 'An Authorization header with the session token is required.' });
      return;
    }
    if (path === CREDENTIALS_PATH) {
      if (req.method !== 'GET') { reply(405, { code: 'MethodNotAllowed', message: 'Use GET.' }); return; }
      const creds = registry.credentialsFor(token);
      if (creds === undefined) {
        metrics.credentialRequests.inc({ outcome: 'forbidden' });
        reply(403, { code: 'Forbidden', message: 'The session token is not valid for this sidecar.' });
        return;
      }
      metrics.credentialRequests.inc({ outcome: 'issued' });
      reply(200, {
        AccessKeyId: creds.accessKeyId,
        SecretAccessKey: creds.secretAccessKey,
        Token: creds.sessionToken,
        Expiration: creds.expiration.toISOString(),
      });
      return;
    }
    if (req.method === 'DELETE') {
      // A delegated agent is done: its session ends and its keys stop working.
      const session = registry.sessionForToken(token);
      if (session === undefined) { reply(403, { code: 'Forbidden', message: 'The session token is not valid for this sidecar.' }); return; }
      if (session.parentId === undefined) { reply(400, { code: 'BadRequest', message: 'The root session ends with the sidecar; only delegated sessions can be ended.' }); return; }
      registry.end(token, 'agent finished');
      logger.info('session ended', { session: session.id });
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'POST') { reply(405, { code: 'MethodNotAllowed', message: 'Use POST to delegate, DELETE to end a delegated session.' }); return; }
    readJson(req, (err, body) => {
      if (err !== undefined) { reply(400, { code: 'BadRequest', message: err }); return; }
      const agent = (body as { agent?: unknown }).agent;
      if (typeof agent !== 'string' || !AGENT_NAME.test(agent)) {
        reply(400, { code: 'BadRequest', message: 'agent must be 1-128 printable characters (letters, digits, space, ._:@/-), starting with a letter or digit.' });
        return;
      }
      const child = registry.delegate(token, { type: 'Agent', name: agent });
      if (child === undefined) {
        metrics.credentialRequests.inc({ outcome: 'forbidden' });
        reply(403, { code: 'Forbidden', message: 'The session token is not valid for this sidecar.' });
        return;
      }
      metrics.credentialRequests.inc({ outcome: 'delegated' });
      logger.info('session delegated', { session: child.session.id, parent: child.session.parentId, agent });
      reply(201, { token: child.token, session: child.session.id, parent: child.session.parentId, chain: child.session.chain });
    });
  };
}

function readJson(req: IncomingMessage, done: (err: string | undefined, body?: unknown) => void): void {
  const parts: Buffer[] = [];
  let size = 0;
  let finished = false;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_BODY && !finished) { finished = true; done('request body too large'); req.resume(); return; }
    parts.push(c);
  });
  req.on('end', () => {
    if (finished) return;
    finished = true;
    try {
      const body: unknown = JSON.parse(Buffer.concat(parts).toString('utf8'));
      if (body === null || typeof body !== 'object') done('body must be a JSON object');
      else done(undefined, body);
    } catch {
      done('body must be JSON');
    }
  });
  req.on('error', () => { if (!finished) { finished = true; done('request aborted'); } });
}
