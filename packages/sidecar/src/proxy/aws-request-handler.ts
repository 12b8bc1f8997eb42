import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Readable, Transform } from 'node:stream';
import { errors as undiciErrors, type Dispatcher } from 'undici';
import {
  AwsCallerError, AwsChunkedResigner, PayloadHashVerifier, SigV4Error, SigningKeyCache, awsErrorFor, awsUriEncode,
  checkFreshness, extractOperation, UNKNOWN_OPERATION, parseAwsHost, parseSigV2Presigned, parseSigV4, protocolFor, renderAwsError, sha256Hex,
  SIGV2_PARAMS, signRequest, verifySigV2Presigned, verifySignature,
  applyFieldMasks,
  type AwsOperation, type AwsProtocol, type CallerFault, type Decision, type Logger, type PolicyDecision, type SigV2Presigned, type SigV4Auth, type SigningCredentials,
} from '@agentrail/core';
import { planBody, type BodyPlan } from './body-plan.js';
import { SessionRegistry, type EphemeralCredentials, type Session } from '../credentials/session-registry.js';
import type { AuditRecorder, CallFacts } from '../audit/audit-recorder.js';
import { awsRequestId, headerValue, responseError } from '../audit/response-error.js';
import type { SidecarMetrics } from '../ops/sidecar-metrics.js';
import type { PolicyGate } from './policy-gate.js';
import type { RoleCredentials } from './role-credentials.js';
import type { UpstreamCredentials } from './upstream-credentials.js';
import { upstreamTarget, type UpstreamRouting } from './upstream-target.js';
import { PRESIGN_PARAMS, forwardableHeaders, parseRequestTarget, relayableResponseHeaders, type RequestTarget } from './wire-request.js';

export interface HandlerLimits {
  /** Largest body read whole to hash it (bodies without a declared payload hash). */
  maxBufferedBodyBytes: number;
  /** Largest aws-chunked chunk (each signed chunk is held whole to re-sign it). */
  maxChunkBytes: number;
  clockSkewMs: number;
  /** Time to wait for upstream response headers. */
  upstreamHeadersTimeoutMs: number;
  /** Longest silence while a body streams from upstream. */
  upstreamBodyTimeoutMs: number;
}

export interface HandlerDeps {
  sessions: SessionRegistry;
  upstreamCredentials: UpstreamCredentials;
  dispatcher: Dispatcher;
  routing: UpstreamRouting;
  metrics: SidecarMetrics;
  logger: Logger;
  limits: HandlerLimits;
  /** Region to sign for when the caller's signature names none (SigV2 presigned URLs). */
  defaultRegion: string;
  /** The host a TLS-intercepted request addressed (its Host header), if it came through interception. */
  interceptedHost: (req: IncomingMessage) => string | undefined;
  /** Hosts the sidecar may forward to by name: AWS endpoints and configured custom ones. */
  isAwsHost: (host: string) => boolean;
  audit: AuditRecorder;
  /** Calls that name no session of ours (unknown keys, no signature) are recorded in this one. */
  rootSession: () => Session;
  /** Most bytes of a response body captured for its audit excerpt. */
  maxCaptureBytes: number;
  policy: PolicyGate;
  roleCredentials: RoleCredentials;
  /** Where the calls come from, for policy conditions. */
  place: { namespace?: string; pod?: string; account?: string };
  now?: () => number;
}

/** A caller's authentication: SigV4, or a SigV2 presigned S3 URL mapped onto the same fields. */
type CallerAuth = SigV4Auth & { sigV2?: SigV2Presigned };

/** Everything learned about one call, for errors, metrics and the audit event. */
interface CallContext {
  requestId: string;
  method: string;
  started: number;
  startedAt: number;
  reqHeaders: IncomingMessage['headers'];
  target: RequestTarget;
  host: string;
  /** Where the call was forwarded (endpoint mode names no host of its own). */
  upstreamHost?: string;
  creds?: EphemeralCredentials;
  auth?: CallerAuth;
  operation?: AwsOperation;
  protocol: AwsProtocol;
  service: string;
  /** The request body when it was read whole (bodies without a declared payload hash). */
  body?: Buffer;
  decision: Decision;
  /** The policy decision, once made. */
  policy?: PolicyDecision;
  response: ResponseTap;
}

/** What the relay saw of the response: status, headers, size and a bounded prefix of the body. */
interface ResponseTap {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: number;
  /** Bytes still to capture; 0 when the body is not recorded. */
  captureLeft: number;
  /** Bytes to capture of an error response (AWS's error document), even when the body is otherwise not recorded. */
  errorCapture: number;
  captured: Buffer[];
  from: 'upstream' | 'gateway';
  errorCode?: string;
  errorMessage?: string;
  /** Field paths a policy masks in what the agent receives: the response is then read whole (bounded), masked and sent. */
  maskPaths?: readonly string[];
  masked?: string[];
}

/** Largest response read whole to mask fields in it; a larger one is cut off rather than passed unmasked. */
const MAX_MASKED_RESPONSE_BYTES = 16 * 1024 * 1024;

const ALLOWED: Decision = Object.freeze({ action: 'Allow', reason: 'no-policy' }) as Decision;

/**
 * Operations whose bodies are object data, not API structures: never excerpted
 * (an object may hold anything, and masking cannot know its format).
 */
const OBJECT_DATA = new Set(['s3:GetObject', 's3:PutObject', 's3:UploadPart', 's3:SelectObjectContent', 's3:WriteGetObjectResponse', 's3:GetObjectTorrent']);

/**
 * The data path for one AWS call: authenticate the caller by its SigV4
 * signature (header or presigned) against the ephemeral credentials this
 * sidecar issued, find the operation, re-sign with the real credentials and
 * relay request and response as streams. Every refusal is the AWS error the
 * real service would send for that protocol.
 */
export class AwsRequestHandler {
  private readonly keys = new SigningKeyCache();
  private readonly now: () => number;

  constructor(private readonly deps: HandlerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** For `request` and `checkContinue`: 100-continue is only sent once the caller is authenticated. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    void this.run(req, res);
  };

  private async run(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = parseRequestTarget(req.url ?? '/');
    const host = this.deps.interceptedHost(req) ?? target.absoluteHost ?? '';
    const ctx: CallContext = {
      requestId: nextRequestId(),
      method: req.method ?? 'GET',
      started: performance.now(),
      startedAt: this.now(),
      reqHeaders: req.headers,
      target, host, protocol: 'rest-json', service: 'unknown',
      decision: ALLOWED,
      response: { status: 0, headers: {}, bytes: 0, captureLeft: 0, errorCapture: this.deps.maxCaptureBytes, captured: [], from: 'gateway' },
    };
    const abort = new AbortController();
    // The caller going away shows as a FIN or a reset on its socket; the gateway's own
    // teardown (a failed relay destroying the response) shows as neither.
    let callerGone = false;
    const socket = req.socket;
    const gone = (): void => { callerGone = true; };
    // A response destroyed by the gateway passes its error to the socket: not the caller's doing.
    const reset = (): void => { if (!res.destroyed) callerGone = true; };
    socket.once('end', gone).once('error', reset);
    res.once('close', () => {
      socket.off('end', gone).off('error', reset);
      if (!res.writableFinished) abort.abort();
    });
    try {
      // A request that names its own destination (intercepted, or absolute-form)
      // is only forwarded to AWS: signing a call for any other host would hand
      // that host a request it could replay to AWS.
      if (host !== '' && !this.deps.isAwsHost(host)) {
        ctx.protocol = protocolFor({ signingName: '', host: '', headers: req.headers as Record<string, string | undefined>, query: target.query });
        throw callerError('AccessDenied', ctx, `The gateway forwards only to AWS endpoints; ${host.slice(0, 100)} is not one.`);
      }
      const auth = this.authenticate(req, ctx);
      ctx.auth = auth;
      const plan = planBody(req, auth);
      if (req.headers['expect']?.toLowerCase() === '100-continue') res.writeContinue();
      const buffered = plan.kind === 'buffer' ? await this.readBody(req, ctx) : undefined;
      ctx.body = buffered;
      const payloadHash = plan.kind === 'buffer' ? sha256Hex(buffered as Buffer) : plan.payloadHash;
      const wire = { method: ctx.method, path: target.path, query: target.query, rawHeaders: req.rawHeaders };
      const secret = (ctx.creds as EphemeralCredentials).secretAccessKey;
      let seedSignature = '';
      if (auth.sigV2 !== undefined) verifySigV2Presigned({ ...wire, bucket: parseAwsHost(host)?.bucket }, auth.sigV2, secret, this.now());
      else seedSignature = verifySignature(wire, auth, secret, payloadHash, this.keys);
      const operation = extractOperation({
        method: ctx.method, path: target.path, query: target.query,
        headers: req.headers as Record<string, string | undefined>, host, signingName: auth.service, region: auth.region, body: buffered,
      });
      ctx.operation = operation;
      ctx.service = operation.service;
      ctx.protocol = operation.protocol;
      if (!this.deps.audit.admits()) {
        ctx.decision = { action: 'Deny', reason: 'audit-unavailable' };
        throw callerError('AuditUnavailable', ctx, 'The gateway cannot keep the audit trail right now, and calls are refused until it can.');
      }
      this.decide(ctx, operation, auth);
      if (!OBJECT_DATA.has(operation.action)) ctx.response.captureLeft = this.deps.maxCaptureBytes;
      await this.forward(req, res, ctx, auth, plan, payloadHash, seedSignature, buffered, abort.signal);
    } catch (err) {
      this.fail(req, res, ctx, err, callerGone);
    }
  }

  /**
   * The policy decision: Deny and RequireApproval end the call here, in the
   * caller's protocol, with a message naming policy and rule.
   */
  private decide(ctx: CallContext, operation: AwsOperation, auth: CallerAuth): void {
    const session = (ctx.creds as EphemeralCredentials).session;
    const { place } = this.deps;
    const decision = this.deps.policy.decide({
      identity: { initiator: session.initiator, chain: session.chain, session: session.id, ...(place.namespace !== undefined ? { namespace: place.namespace } : {}), ...(place.pod !== undefined ? { pod: place.pod } : {}) },
      aws: { service: operation.service, operation: operation.action, region: auth.region, resources: operation.resources, ...(place.account !== undefined ? { account: place.account } : {}) },
      request: { method: ctx.method, path: ctx.target.path },
      time: new Date(this.now()),
    });
    ctx.policy = decision;
    ctx.decision = {
      action: decision.action, reason: decision.reason, message: decision.message.slice(0, 2048),
      ...(decision.policy !== undefined ? { policy: decision.policy } : {}), ...(decision.rule !== undefined ? { rule: decision.rule } : {}),
    };
    if (decision.action === 'Deny') throw callerError('AccessDenied', ctx, decision.message);
    // The approvals hold goes here: until it exists, such calls are refused with an explicit error.
    if (decision.action === 'RequireApproval') throw callerError('ApprovalRequired', ctx, decision.message);
    if (decision.masking.response.length > 0) ctx.response.maskPaths = decision.masking.response;
  }

  /** Parses and checks the caller's SigV4 authentication against its ephemeral credentials. */
  private authenticate(req: IncomingMessage, ctx: CallContext): CallerAuth {
    const headers = req.headers as Record<string, string | undefined>;
    const answerAs = (service: string | undefined): void => {
      if (service !== undefined) ctx.service = service;
      ctx.protocol = protocolFor({ signingName: service ?? '', host: ctx.host, headers, query: ctx.target.query });
    };
    let auth: CallerAuth | undefined;
    try {
      auth = parseSigV4(req.headers, ctx.target.query) ?? this.sigV2Auth(ctx);
    } catch (err) {
      // A malformed Authorization is still refused in the caller's protocol: its
      // credential scope usually names the service even when the rest is broken.
      answerAs(claimedService(headers['authorization'], ctx.target.query));
      throw err;
    }
    answerAs(auth?.service);
    if (auth === undefined) throw new SigV4Error('MissingAuthentication', 'Request is missing Authentication Token');
    const creds = this.deps.sessions.lookup(auth.accessKeyId);
    if (creds === undefined) throw callerError('UnknownAccessKey', ctx, 'The security token included in the request is invalid.');
    ctx.creds = creds;
    if (this.deps.sessions.isExpired(creds)) throw callerError('ExpiredToken', ctx, 'The security token included in the request is expired');
    if (!SessionRegistry.tokenMatches(creds, auth.securityToken)) {
      throw callerError('InvalidSecurityToken', ctx, 'The security token included in the request is invalid.');
    }
    if (auth.sigV2 === undefined) checkFreshness(auth, this.now(), this.deps.limits.clockSkewMs);
    return auth;
  }

  /** A SigV2 presigned S3 URL, in the shape of a SigV4 presigned one (service s3, region from the host). */
  private sigV2Auth(ctx: CallContext): CallerAuth | undefined {
    const v2 = parseSigV2Presigned(ctx.target.query);
    if (v2 === undefined) return undefined;
    const auth: CallerAuth = {
      mode: 'presigned', accessKeyId: v2.accessKeyId, service: 's3', region: parseAwsHost(ctx.host)?.region ?? this.deps.defaultRegion,
      scopeDate: '', scope: '', signedHeaders: ['host'], signature: v2.signature, amzDate: '', sigV2: v2,
    };
    if (v2.securityToken !== undefined) auth.securityToken = v2.securityToken;
    return auth;
  }

  private readBody(req: IncomingMessage, ctx: CallContext): Promise<Buffer> {
    const limit = this.deps.limits.maxBufferedBodyBytes;
    const tooLarge = () => callerError('RequestTooLarge', ctx, `Request bodies without x-amz-content-sha256 are read whole to verify them; this one exceeds the ${limit}-byte limit.`);
    if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge());
    // Plain events rather than async iteration: a small body then costs no extra
    // promise turns on the hot path.
    return new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > limit) { done(); reject(tooLarge()); return; }
        parts.push(chunk);
      };
      const onEnd = (): void => {
        done();
        resolve(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size));
      };
      const onClose = (): void => {
        done();
        reject(new SigV4Error('IncompleteBody', 'The request body ended early.'));
      };
      const done = (): void => {
        req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose);
      };
      req.on('data', onData).once('end', onEnd).once('close', onClose).once('error', onClose);
    });
  }

  private async forward(
    req: IncomingMessage, res: ServerResponse, ctx: CallContext, auth: CallerAuth, plan: BodyPlan,
    payloadHash: string, callerSeed: string, buffered: Buffer | undefined, signal: AbortSignal,
  ): Promise<void> {
    let upstreamCreds = this.upstreamCredentialsFor(ctx);
    // Only a role's first call (or one whose role credentials are being refreshed) waits.
    if (upstreamCreds instanceof Promise) upstreamCreds = await upstreamCreds;
    const dest = upstreamTarget(this.deps.routing, { service: auth.service, region: auth.region, host: ctx.host, path: ctx.target.path, endpoint: ctx.operation?.endpoint });
    if (dest === undefined) throw callerError('UpstreamUnavailable', ctx, `No AWS endpoint is known for service ${auth.service} in region ${auth.region}.`);
    ctx.upstreamHost = dest.host;
    const presignParams = auth.sigV2 === undefined ? PRESIGN_PARAMS : SIGV2_PARAMS;
    const query = auth.mode === 'presigned' ? ctx.target.query.filter(([k]) => !presignParams.has(k)) : ctx.target.query;
    const rawQuery = auth.mode === 'presigned'
      ? query.map(([k, v]) => `${awsUriEncode(k)}=${awsUriEncode(v)}`).join('&')
      : ctx.target.rawQuery;
    const headers = forwardableHeaders(req);
    headers['host'] = dest.host;
    // A response the gateway rewrites must arrive uncompressed.
    if (ctx.response.maskPaths !== undefined) headers['accept-encoding'] = 'identity';
    if (buffered !== undefined) headers['content-length'] = String(buffered.length);
    const signed = signRequest(
      { method: ctx.method, path: dest.path, query, headers },
      upstreamCreds,
      { region: auth.region, service: auth.service, payloadHash, contentSha256Header: auth.service === 's3' || req.headers['x-amz-content-sha256'] !== undefined },
      this.keys,
    );

    let body: Buffer | Readable | undefined = buffered;
    if (plan.kind === 'stream') body = req;
    else if (plan.kind === 'verify') body = through(req, new PayloadHashVerifier(payloadHash, contentLength(req)));
    else if (plan.kind === 'chunked') {
      body = through(req, new AwsChunkedResigner({
        payload: plan.payloadHash,
        caller: { seedSignature: callerSeed, signingKey: this.keys.get((ctx.creds as EphemeralCredentials).secretAccessKey, auth.scopeDate, auth.region, auth.service), amzDate: auth.amzDate, scope: auth.scope },
        upstream: { seedSignature: signed.signature, signingKey: signed.signingKey, amzDate: signed.amzDate, scope: signed.scope },
        ...(plan.decodedLength !== undefined ? { decodedLength: plan.decodedLength } : {}),
        maxChunkBytes: this.deps.limits.maxChunkBytes,
      }));
    }
    this.deps.metrics.overhead.observe((performance.now() - ctx.started) / 1000);

    ctx.response.from = 'upstream';
    const status = await exchange(this.deps.dispatcher, {
      origin: dest.origin,
      path: rawQuery === '' ? dest.path : `${dest.path}?${rawQuery}`,
      method: ctx.method as Dispatcher.HttpMethod,
      headers,
      body: body ?? null,
      headersTimeout: this.deps.limits.upstreamHeadersTimeoutMs,
      bodyTimeout: this.deps.limits.upstreamBodyTimeoutMs,
    }, res, signal, ctx.response);
    this.record(ctx, status < 400 ? 'forwarded' : 'upstream_error');
  }

  /**
   * The default credentials, or the role a policy names (AssumeRole once per
   * session, then cached). A promise only when STS must be asked: a call that
   * needs no new credentials takes no extra await.
   */
  private upstreamCredentialsFor(ctx: CallContext): SigningCredentials | Promise<SigningCredentials> {
    const role = ctx.policy?.upstream;
    if (role === undefined) {
      const creds = this.deps.upstreamCredentials.current();
      if (creds === undefined) throw callerError('UpstreamUnavailable', ctx, 'The gateway has no valid AWS credentials right now.');
      return creds;
    }
    const session = (ctx.creds as EphemeralCredentials).session;
    const creds = this.deps.roleCredentials.get({
      roleArn: role.roleArn, session: session.id, chain: session.chain,
      ...(role.sourceIdentity === 'Initiator' ? { sourceIdentity: session.initiator } : {}),
    });
    if (!(creds instanceof Promise)) return creds;
    return creds.catch((err: unknown) => {
      this.deps.logger.warn('cannot assume the policy role', { requestId: ctx.requestId, roleArn: role.roleArn, policy: role.policy, error: String(err) });
      throw callerError('UpstreamUnavailable', ctx, `The gateway could not assume ${role.roleArn} (named by ${role.policy}).`);
    });
  }

  private fail(req: IncomingMessage, res: ServerResponse, ctx: CallContext, err: unknown, callerGone: boolean): void {
    if (callerGone) {
      // The caller closed or reset its connection: nobody is left to answer, and it is
      // neither the gateway's failure nor AWS's (whatever error the abort surfaced as).
      this.deps.metrics.protocolErrors.inc({ reason: 'client_gone' });
      this.record(ctx, 'client_gone');
      this.deps.logger.debug('caller went away', { requestId: ctx.requestId, error: String(err) });
      if (!res.destroyed) res.destroy();
      return;
    }
    const callerErr = this.toCallerError(err, ctx);
    if (res.headersSent) {
      // The response already started: all that is left is to cut it short so the
      // caller sees a broken body instead of a truncated one that looks complete.
      this.deps.logger.warn('call failed after response started', { requestId: ctx.requestId, code: callerErr.code, error: String(err) });
      res.destroy();
      this.record(ctx, 'failed');
      return;
    }
    const rendered = renderAwsError(callerErr, ctx.protocol, ctx.requestId, { service: ctx.service, method: ctx.method });
    if (ctx.decision === ALLOWED && callerErr.sender) ctx.decision = { action: 'Deny', reason: 'authentication' };
    Object.assign(ctx.response, {
      status: rendered.status, bytes: rendered.body.length, from: 'gateway', captureLeft: 0, captured: [],
      errorCode: callerErr.awsCode, errorMessage: callerErr.message,
    });
    // An unread request body would otherwise be drained or misread as the next request.
    if (!req.complete) rendered.headers['connection'] = 'close';
    res.writeHead(rendered.status, { ...rendered.headers, 'content-length': String(rendered.body.length) });
    res.end(rendered.body);
    if (!req.complete) req.resume();
    this.deps.metrics.callerErrors.inc({ code: callerErr.awsCode });
    const outcome = callerErr.sender ? 'rejected' : 'failed';
    this.record(ctx, outcome);
    this.deps.logger.log(callerErr.sender ? 'info' : 'warn', 'call refused', {
      requestId: ctx.requestId, code: callerErr.code, awsCode: callerErr.awsCode, session: ctx.creds?.session.id, message: callerErr.message,
    });
  }

  private toCallerError(err: unknown, ctx: CallContext): AwsCallerError {
    if (err instanceof AwsCallerError) return err;
    if (err instanceof SigV4Error) return callerError(err.fault, ctx, err.message);
    const reason = upstreamFailure(err);
    if (reason !== undefined) {
      this.deps.metrics.upstreamErrors.inc({ reason });
      return callerError(reason === 'timeout' ? 'UpstreamTimeout' : 'UpstreamUnavailable', ctx,
        reason === 'timeout' ? 'The AWS endpoint did not answer in time.' : 'The AWS endpoint could not be reached.');
    }
    this.deps.logger.error('unexpected error on the data path', { requestId: ctx.requestId, error: err instanceof Error ? err.stack : String(err) });
    return callerError('InternalError', ctx, 'We encountered an internal error. Please try again.');
  }

  private record(ctx: CallContext, outcome: string): void {
    const op = ctx.operation?.operation ?? UNKNOWN_OPERATION;
    const latency = performance.now() - ctx.started;
    this.deps.metrics.calls.inc({ service: ctx.service, operation: op, outcome });
    this.deps.metrics.latency.observe({ service: ctx.service, outcome }, latency / 1000);
    this.audit(ctx, latency);
  }

  /** The call's audit event; after the response, so it never delays the caller. */
  private audit(ctx: CallContext, latencyMs: number): void {
    const r = ctx.response;
    const reqHeaders = ctx.reqHeaders;
    const captured = r.captured.length === 0 ? undefined : r.captured.length === 1 ? r.captured[0] : Buffer.concat(r.captured);
    const response: CallFacts['response'] = { status: r.status, from: r.from, bytes: r.bytes, streamed: false };
    if (r.from === 'upstream') {
      const contentType = headerValue(r.headers['content-type']);
      if (contentType !== undefined) response.contentType = contentType;
      const id = awsRequestId(r.headers);
      if (id !== undefined) response.requestId = id;
      response.streamed = r.status < 400 && OBJECT_DATA.has(ctx.operation?.action ?? '');
      if (captured !== undefined) response.body = captured;
      if (r.status >= 400) {
        const e = responseError(r.headers, captured);
        if (e.code !== undefined) response.errorCode = e.code;
        if (e.message !== undefined) response.errorMessage = e.message;
      }
    } else {
      response.requestId = ctx.requestId;
      if (r.errorCode !== undefined) response.errorCode = r.errorCode;
      if (r.errorMessage !== undefined) response.errorMessage = r.errorMessage;
    }
    const contentLength = reqHeaders['content-length'];
    const facts: CallFacts = {
      session: ctx.creds?.session ?? this.deps.rootSession(),
      startedAt: ctx.startedAt,
      latencyMs,
      method: ctx.method,
      path: ctx.target.path,
      query: ctx.target.query,
      host: ctx.host !== '' ? ctx.host : ctx.upstreamHost ?? '',
      service: ctx.service,
      protocol: ctx.protocol,
      request: {
        streamed: ctx.body === undefined && contentLength !== undefined && contentLength !== '0',
        ...(ctx.body !== undefined ? { body: ctx.body, bytes: ctx.body.length } : contentLength !== undefined ? { bytes: Number(contentLength) || 0 } : {}),
        ...(reqHeaders['content-type'] !== undefined ? { contentType: reqHeaders['content-type'] } : {}),
      },
      response,
      decision: ctx.decision,
    };
    const policy = ctx.policy;
    if (policy !== undefined) {
      if (policy.masking.audit.length > 0) facts.auditMasks = policy.masking.audit;
      if (policy.recording !== undefined) facts.recording = policy.recording;
      if (policy.upstream !== undefined) {
        facts.role = { roleArn: policy.upstream.roleArn, ...(policy.upstream.sourceIdentity === 'Initiator' ? { sourceIdentity: facts.session.initiator } : {}) };
      }
    }
    if (r.masked !== undefined && r.masked.length > 0) facts.responseMasked = r.masked;
    const region = ctx.auth?.region;
    if (region !== undefined) facts.region = region;
    if (ctx.operation !== undefined) facts.operation = ctx.operation;
    if (reqHeaders['user-agent'] !== undefined) facts.userAgent = reqHeaders['user-agent'];
    this.deps.audit.call(facts);
  }
}

/** The service a SigV4 credential scope names, read leniently (the rest of the header may be malformed). */
function claimedService(authorization: string | undefined, query: ReadonlyArray<readonly [string, string]>): string | undefined {
  const credential = authorization === undefined
    ? query.find(([k]) => k === 'X-Amz-Credential')?.[1]
    : /Credential=([^,\s]+)/.exec(authorization)?.[1];
  const parts = credential?.split('/');
  return parts !== undefined && parts.length === 5 && /^[a-z0-9-]{1,64}$/.test(parts[3] as string) ? parts[3] : undefined;
}

/**
 * Request ids: 16 hex digits as before, a random per-process prefix and a
 * counter (randomBytes per call cost ~2% of a small call's CPU).
 */
const REQUEST_ID_PREFIX = randomBytes(4).toString('hex').toUpperCase();
let requestSeq = 0;
function nextRequestId(): string {
  requestSeq = (requestSeq + 1) >>> 0;
  return REQUEST_ID_PREFIX + requestSeq.toString(16).toUpperCase().padStart(8, '0');
}

/**
 * Sends the upstream request and streams the response into `res` with
 * backpressure; resolves with the status once the response has finished.
 * Uses undici's dispatch() rather than request(): request() wraps each
 * response in a Promise, an AsyncResource handler and a BodyReadable, and
 * about a tenth of all a call allocates then survives young-generation GCs
 * (promoted, then freed only by mark-compact), which made scavenges take
 * 15–35 ms at 1,000 calls/s; pipeline() on top built a DOMException per call.
 * Upstream failures reject with undici's error classes, as before; the
 * caller going away (signal) aborts the exchange.
 */
function exchange(dispatcher: Dispatcher, opts: Dispatcher.DispatchOptions, res: ServerResponse, signal: AbortSignal, tap: ResponseTap): Promise<number> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let controller: Dispatcher.DispatchController | undefined;
    let settled = false;
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      res.off('drain', onDrain);
      if (err === undefined) resolve(status);
      else reject(err);
    };
    const onAbort = (): void => {
      const reason = new undiciErrors.RequestAbortedError();
      controller?.abort(reason);
      settle(reason); // also when the response had ended but never finished
    };
    const onDrain = (): void => controller?.resume();
    const masking = tap.maskPaths === undefined ? undefined : { parts: [] as Buffer[], size: 0 };
    if (signal.aborted) { settle(new undiciErrors.RequestAbortedError()); return; }
    signal.addEventListener('abort', onAbort, { once: true });
    res.on('drain', onDrain);
    dispatcher.dispatch(opts, {
      onRequestStart(ctl) { controller = ctl; },
      onResponseStart(_ctl, statusCode, responseHeaders) {
        status = statusCode;
        tap.status = statusCode;
        tap.headers = responseHeaders;
        if (statusCode >= 400) tap.captureLeft = Math.max(tap.captureLeft, tap.errorCapture);
        if (masking === undefined) res.writeHead(statusCode, relayableResponseHeaders(responseHeaders));
      },
      onResponseData(ctl, chunk) {
        if (masking !== undefined) {
          masking.size += chunk.length;
          // Never pass an unmasked body on: one too large to mask is cut off.
          if (masking.size > MAX_MASKED_RESPONSE_BYTES) { ctl.abort(new Error(`a response to mask exceeded ${MAX_MASKED_RESPONSE_BYTES} bytes`)); return; }
          masking.parts.push(chunk);
          return;
        }
        tap.bytes += chunk.length;
        if (tap.captureLeft > 0) {
          const part = chunk.length <= tap.captureLeft ? chunk : chunk.subarray(0, tap.captureLeft);
          tap.captured.push(Buffer.from(part)); // a copy: the relay must not pin the parser's buffers
          tap.captureLeft -= part.length;
        }
        if (!res.write(chunk)) ctl.pause();
      },
      onResponseEnd() {
        if (masking !== undefined) {
          const body = maskedResponse(tap, Buffer.concat(masking.parts, masking.size));
          tap.bytes = body.length;
          if (tap.captureLeft > 0) tap.captured.push(body.subarray(0, tap.captureLeft));
          res.writeHead(tap.status, maskedHeaders(tap.headers, body));
          res.end(body, () => settle());
          return;
        }
        res.end(() => settle());
      },
      onResponseError(_ctl, err) { settle(err); },
    });
  });
}

/**
 * Applies a policy's response masks. A body that cannot be read as JSON or
 * XML is withheld (replaced by an empty body) rather than passed on unmasked.
 */
function maskedResponse(tap: ResponseTap, body: Buffer): Buffer {
  const result = applyFieldMasks(body, headerValue(tap.headers['content-type']), tap.maskPaths ?? []);
  tap.masked = result.masked;
  return result.unparsed === true && body.length > 0 ? Buffer.alloc(0) : result.body;
}

/** Headers for a rewritten body: its length, and checksums recomputed (DynamoDB's CRC32) or dropped. */
function maskedHeaders(upstream: Record<string, string | string[] | undefined>, body: Buffer): Record<string, string | string[]> {
  const headers = relayableResponseHeaders(upstream) as Record<string, string | string[]>;
  for (const name of Object.keys(headers)) {
    const n = name.toLowerCase();
    if (n === 'content-length' || n === 'transfer-encoding' || n === 'content-md5' || n.startsWith('x-amz-checksum-')) delete headers[name];
    if (n === 'x-amz-crc32') headers[name] = String(crc32(body));
  }
  headers['content-length'] = String(body.length);
  return headers;
}

function callerError(fault: CallerFault, ctx: CallContext, message: string): AwsCallerError {
  return awsErrorFor(fault, ctx.protocol, ctx.service, message);
}

/**
 * Pipes the caller's body through a checking transform. A failed check stops
 * the flow (its error reaches the caller through the failed upstream request),
 * and a caller that goes away mid-upload fails the transform, so the upstream
 * request is aborted instead of completing short.
 */
function through(req: IncomingMessage, transform: Transform): Transform {
  req.pipe(transform);
  transform.on('error', () => req.unpipe(transform));
  req.once('close', () => {
    if (!req.complete) transform.destroy(new SigV4Error('IncompleteBody', 'The client closed the connection mid-request.'));
  });
  return transform;
}

function contentLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  return v === undefined ? undefined : Number(v);
}

/** Classifies upstream transport failures; undefined for anything else. */
function upstreamFailure(err: unknown): string | undefined {
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || err instanceof undiciErrors.ConnectTimeoutError) return 'timeout';
  if (err instanceof undiciErrors.SocketError) return 'reset';
  if (err instanceof undiciErrors.RequestAbortedError) return 'aborted';
  const code = (err as { code?: string } | undefined)?.code;
  if (code !== undefined && /^(ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_\w+|CERT_\w+|ERR_TLS_\w+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_\w+)$/.test(code)) return code.toLowerCase();
  return undefined;
}
