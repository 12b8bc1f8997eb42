import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Agent } from 'undici';
import { hostname, userInfo } from 'node:os';
import { ConfigError, PolicySet, createLogger, formatPolicyIssue, loadPolicyFile, type Chain, type EventSource, type Logger, type SigningCredentials } from '@agentrail/core';
import { PolicyWatcher } from './policy/policy-watcher.js';
import { PolicyGate } from './proxy/policy-gate.js';
import { RoleCredentials } from './proxy/role-credentials.js';
import { getCallerIdentity } from './identity/caller-identity.js';
import { AuditRecorder } from './audit/audit-recorder.js';
import type { AuditTransport } from './audit/audit-transport.js';
import { openNatsTransport } from './audit/open-nats-transport.js';
import type { SidecarConfig } from './config/sidecar-config.js';
import { createCredentialHandler, CREDENTIALS_PATH, DELEGATIONS_PATH } from './credentials/credential-endpoint.js';
import { SessionRegistry, type Session } from './credentials/session-registry.js';
import { interceptedTarget } from './intercept/intercepted-target.js';
import { TlsInterceptor } from './intercept/tls-interceptor.js';
import { createOpsHandler } from './ops/ops-server.js';
import { SidecarMetrics } from './ops/sidecar-metrics.js';
import { AwsRequestHandler } from './proxy/aws-request-handler.js';
import { UpstreamCredentials, type CredentialProvider } from './proxy/upstream-credentials.js';
import { createAwsHostMatcher } from './tls/aws-hosts.js';
import { CertificateAuthority } from './tls/certificate-authority.js';

export interface SidecarOptions {
  config: SidecarConfig;
  /** The standard AWS credential chain by default; tests and embedders may pass their own. */
  credentialProvider?: CredentialProvider;
  /** Chain of the root session; defaults to `[User <initiator>]`. */
  chain?: Chain;
  logger?: Logger;
  /** Register process-level metrics (off when several sidecars share a process). */
  processMetrics?: boolean;
  /**
   * Where audit events go. Default: JetStream at `audit.natsUrl`, through the
   * spool. Local mode passes its store's transport.
   */
  auditTransport?: AuditTransport;
  /**
   * Local mode: the initiator is the principal of the real credentials (STS
   * GetCallerIdentity, once at start), and the account is recorded with each
   * call. The OS user and host are in every event's source.
   */
  initiatorFromCredentials?: boolean;
  /** An agent name for the root session: its chain becomes `[User initiator, Agent name]`. */
  rootAgent?: string;
}

/** Where a started sidecar listens, and what an agent needs to use it. */
export interface SidecarEndpoints {
  explicitUrl: string;
  credentialsUrl: string;
  /** Where a process delegates a child session (POST) and ends its own (DELETE). */
  delegationsUrl: string;
  opsUrl: string;
  /** Bearer token of the root session (AWS_CONTAINER_AUTHORIZATION_TOKEN). */
  rootToken: string;
  rootSession: Session;
  /** PEM of the per-instance CA alone, and bundled with the system CAs. */
  caCertificatePem: string;
  caBundlePem: string;
}

/**
 * One sidecar: the explicit listener (endpoint mode and HTTPS_PROXY CONNECT,
 * with TLS termination for AWS hosts), the credential endpoint, and the
 * operations endpoints. `stop()` stops accepting, lets in-flight calls finish
 * within the drain timeout, then closes what is left.
 */
export class Sidecar {
  readonly metrics: SidecarMetrics;
  readonly sessions: SessionRegistry;
  private readonly logger: Logger;
  private readonly upstreamCredentials: UpstreamCredentials;
  private readonly dispatcher: Agent;
  private readonly servers: Server[] = [];
  private opsServer: Server | undefined;
  /** CONNECT sockets: detached from the HTTP server, so closeAllConnections() never reaches them. */
  private readonly tunnels = new Set<Duplex>();
  private draining = false;
  private endpoints: SidecarEndpoints | undefined;
  private transport: AuditTransport | undefined;
  /** The policies in force; swapped whole when new ones arrive. */
  readonly policy: PolicyGate;
  private readonly roleCredentials: RoleCredentials;
  private policyWatcher: PolicyWatcher | undefined;
  private recorder: AuditRecorder | undefined;

  constructor(private readonly opts: SidecarOptions) {
    const { config } = opts;
    this.logger = opts.logger ?? createLogger(config.logLevel, { component: 'sidecar' });
    this.metrics = new SidecarMetrics({ processMetrics: opts.processMetrics ?? false });
    this.sessions = new SessionRegistry({
      ttlMs: config.credentials.ttlSeconds * 1000,
      rotateBeforeMs: config.credentials.rotateBeforeSeconds * 1000,
      onSessionStarted: (session) => this.recorder?.sessionStarted(session),
      onSessionEnded: (session, reason) => this.recorder?.sessionEnded(session, reason),
    });
    this.upstreamCredentials = new UpstreamCredentials(opts.credentialProvider ?? defaultCredentialProvider(), this.logger);
    this.dispatcher = new Agent({
      connections: config.upstream.connections,
      keepAliveTimeout: 30_000,
      connect: { timeout: config.upstream.connectTimeoutMs },
    });
    this.policy = new PolicyGate({
      unavailableAction: config.policy.unavailableAction,
      ...(config.policy.watch ? {} : { initial: policiesFromFile(config) }),
    });
    this.roleCredentials = new RoleCredentials({
      base: () => this.upstreamCredentials.current(),
      region: config.upstream.defaultRegion,
      dispatcher: this.dispatcher,
      logger: this.logger,
      ...(config.upstream.endpoint !== undefined ? { endpoint: config.upstream.endpoint } : {}),
      onAssume: () => this.metrics.roleAssumptions.inc(),
    });
  }

  async start(): Promise<SidecarEndpoints> {
    const { config } = this.opts;
    await this.upstreamCredentials.start().catch((err: unknown) => {
      throw new Error(`no upstream AWS credentials: the standard credential chain found none (${(err as Error).message})`, { cause: err });
    });
    // The CA key lives only in this process, and agents trust the CA for as long as
    // they run: its validity must outlast the pod, not the other way round.
    const ca = await CertificateAuthority.create({ validityMs: config.intercept.caValidityDays * 86_400_000 });
    let initiator = config.identity.initiator;
    let account: string | undefined;
    if (this.opts.initiatorFromCredentials === true) {
      const who = await getCallerIdentity({
        credentials: this.upstreamCredentials.current() as SigningCredentials,
        region: config.upstream.defaultRegion,
        dispatcher: this.dispatcher,
        ...(config.upstream.endpoint !== undefined ? { endpoint: config.upstream.endpoint } : {}),
      }).catch((err: unknown) => {
        throw new Error(`cannot tell whose AWS credentials these are (${(err as Error).message})`, { cause: err });
      });
      initiator = who.arn;
      account = who.account;
    }
    if (config.policy.watch) {
      // Policies from the controller; until the first sync (or a cached copy), policy.unavailableAction applies.
      this.policyWatcher = await PolicyWatcher.start({
        servers: (config.audit.natsUrl as string).split(',').map((u) => u.trim()),
        namespace: config.identity.namespace as string,
        podLabels: podLabels(config),
        logger: this.logger,
        onChange: (set) => this.policy.replace(set),
        ...(config.policy.cacheFile !== undefined ? { cacheFile: config.policy.cacheFile } : {}),
      });
    }
    this.transport = this.opts.auditTransport ?? openNatsTransport(config, this.metrics, this.logger);
    this.recorder = new AuditRecorder({
      transport: this.transport,
      source: eventSource(config),
      failMode: config.audit.failMode,
      maxBodyBytes: config.audit.maxBodyBytes,
      logger: this.logger,
      ...(account !== undefined ? { account } : {}),
      onEvent: (type) => this.metrics.auditEvents.inc({ type }),
      onUnrecorded: () => this.metrics.auditUnrecorded.inc(),
    });
    const chain: Chain = this.opts.chain ?? [{ type: 'User', name: initiator }, ...(this.opts.rootAgent !== undefined ? [{ type: 'Agent' as const, name: this.opts.rootAgent }] : [])];
    const root = this.sessions.createRoot(initiator, chain, this.rootTokenFromFile());

    const isAwsHost = createAwsHostMatcher(config.intercept.extraHosts);
    const handler = new AwsRequestHandler({
      sessions: this.sessions,
      upstreamCredentials: this.upstreamCredentials,
      dispatcher: this.dispatcher,
      routing: { endpoint: config.upstream.endpoint === undefined ? undefined : new URL(config.upstream.endpoint) },
      metrics: this.metrics,
      logger: this.logger,
      defaultRegion: config.upstream.defaultRegion,
      limits: {
        maxBufferedBodyBytes: config.limits.maxBufferedBodyBytes,
        maxChunkBytes: config.limits.maxChunkBytes,
        clockSkewMs: config.limits.clockSkewSeconds * 1000,
        upstreamHeadersTimeoutMs: config.upstream.headersTimeoutMs,
        upstreamBodyTimeoutMs: config.upstream.bodyTimeoutMs,
      },
      isAwsHost,
      audit: this.recorder,
      rootSession: () => root.session,
      policy: this.policy,
      roleCredentials: this.roleCredentials,
      place: {
        ...(config.identity.namespace !== undefined ? { namespace: config.identity.namespace } : {}),
        ...(config.identity.pod !== undefined ? { pod: config.identity.pod } : {}),
        ...(account !== undefined ? { account } : {}),
      },
      maxCaptureBytes: config.audit.maxBodyBytes * 4,
      interceptedHost: (req: IncomingMessage) => {
        const t = interceptedTarget(req.socket);
        if (t === undefined) return undefined;
        return req.headers.host ?? (t.port === 443 ? t.host : `${t.host}:${t.port}`);
      },
    });
    // No overall request deadline (a large upload may take hours), but a caller silent
    // for clientIdleTimeoutMs is cut off, so a stalled upload cannot hold an upstream
    // connection forever.
    const explicit = http.createServer({ maxHeaderSize: config.limits.maxHeaderBytes, requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 65_000 });
    explicit.setTimeout(config.limits.clientIdleTimeoutMs);
    explicit.on('request', handler.handle);
    explicit.on('checkContinue', handler.handle);
    const interceptor = new TlsInterceptor({
      ca,
      isInterceptedHost: isAwsHost,
      httpServer: explicit,
      connectTimeoutMs: config.upstream.connectTimeoutMs,
      logger: this.logger,
      onOutcome: (outcome, mode) => this.metrics.interceptions.inc({ outcome, mode }),
    });
    explicit.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      this.tunnels.add(socket);
      socket.once('close', () => this.tunnels.delete(socket));
      interceptor.handleConnect(req, socket, head);
    });
    this.guard(explicit, 'explicit');

    const creds = http.createServer({ maxHeaderSize: 16 * 1024 }, createCredentialHandler(this.sessions, this.metrics, this.logger));
    this.guard(creds, 'credentials');
    const ops = http.createServer(createOpsHandler(this.metrics, () => this.readiness()));

    const host = config.listen.host;
    const [e, c, o] = await Promise.all([
      listen(explicit, host, config.listen.explicitPort),
      listen(creds, host, config.listen.credentialsPort),
      listen(ops, host, config.listen.opsPort),
    ]);
    this.servers.push(explicit, creds);
    this.opsServer = ops;
    const url = (port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.endpoints = {
      explicitUrl: url(e),
      credentialsUrl: `${url(c)}${CREDENTIALS_PATH}`,
      delegationsUrl: `${url(c)}${DELEGATIONS_PATH}`,
      opsUrl: url(o),
      rootToken: root.token,
      rootSession: root.session,
      caCertificatePem: ca.certificatePem,
      caBundlePem: ca.bundleWithSystemCAs(),
    };
    this.logger.info('sidecar started', { explicit: this.endpoints.explicitUrl, credentials: this.endpoints.credentialsUrl, ops: this.endpoints.opsUrl, session: root.session.id });
    return this.endpoints;
  }

  /** Stops accepting, drains in-flight calls (bounded by drainTimeoutMs), then closes. */
  async stop(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    const deadline = Date.now() + this.opts.config.drainTimeoutMs;
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => {
      s.close(() => resolve());
      const tick = setInterval(() => {
        s.closeIdleConnections();
        if (Date.now() >= deadline) {
          s.closeAllConnections();
          for (const t of this.tunnels) t.destroy();
          clearInterval(tick);
        }
      }, 50);
      s.once('close', () => clearInterval(tick));
    })));
    this.upstreamCredentials.stop();
    this.roleCredentials.stop();
    await this.policyWatcher?.stop();
    await this.dispatcher.close();
    // Every session ends with the sidecar; the trail is flushed within what is left of the drain time.
    this.recorder?.endAll('sidecar stopped');
    await this.transport?.close(Math.max(1000, deadline - Date.now()));
    // Last: /readyz says "draining" and /metrics can be scraped while calls drain.
    const ops = this.opsServer;
    if (ops !== undefined) await new Promise<void>((resolve) => { ops.close(() => resolve()); ops.closeAllConnections(); });
    this.logger.info('sidecar stopped');
  }

  private readiness(): { ok: boolean; reason?: string } {
    if (this.draining) return { ok: false, reason: 'draining' };
    if (this.endpoints === undefined) return { ok: false, reason: 'starting' };
    if (this.upstreamCredentials.current() === undefined) return { ok: false, reason: 'no valid upstream credentials' };
    if (this.recorder?.admits() === false) return { ok: false, reason: 'the audit trail cannot be kept (spool full)' };
    return { ok: true };
  }

  /** Token file: read the token if the file exists, else write a fresh one for agent containers. */
  private rootTokenFromFile(): string | undefined {
    const file = this.opts.config.credentials.tokenFile;
    if (file === undefined) return undefined;
    if (existsSync(file)) {
      const token = readFileSync(file, 'utf8').trim();
      // An empty token would leave the credential endpoint unusable (it refuses empty tokens).
      if (token === '') throw new Error(`token file ${file} is empty: remove it to have a token generated, or write one into it`);
      return token;
    }
    const token = randomBytes(32).toString('base64url');
    writeFileSync(file, token, { mode: 0o600 });
    return token;
  }

  /** Counts connections and answers malformed HTTP instead of crashing or hanging. */
  private guard(server: Server, listener: string): void {
    server.on('connection', (socket: Socket) => {
      this.metrics.openConnections.inc({ listener });
      socket.once('close', () => this.metrics.openConnections.dec({ listener }));
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      const reason = err.code === 'HPE_HEADER_OVERFLOW' ? 'header_overflow' : err.code === 'ECONNRESET' ? 'client_reset' : 'malformed';
      this.metrics.protocolErrors.inc({ reason });
      if (!socket.writable || err.code === 'ECONNRESET') { socket.destroy(); return; }
      const status = reason === 'header_overflow' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${reason === 'header_overflow' ? 'RequestHeaderSectionTooLarge' : 'BadRequest'}</Code><Message>${reason === 'header_overflow' ? 'Your request header section exceeds the maximum allowed size.' : 'The request could not be parsed as HTTP/1.1.'}</Message></Error>`;
      socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
  }
}

/**
 * The policies of `policy.file` for this pod (its namespace and labels), or
 * none. Every problem in the file stops start-up, listed with its place.
 */
function policiesFromFile(config: SidecarConfig): PolicySet {
  const file = config.policy.file;
  if (file === undefined) return PolicySet.of([]);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: 'policy.file', message: `cannot read ${file}: ${(err as Error).message}` }]);
  }
  const loaded = loadPolicyFile(text, file);
  if (loaded.errors.length > 0) throw new ConfigError(loaded.errors.map((e) => ({ path: 'policy.file', message: formatPolicyIssue(e) })));
  return PolicySet.of(loaded.policies).forPod(podLabels(config), config.identity.namespace);
}

function podLabels(config: SidecarConfig): Record<string, string> {
  return Object.fromEntries(config.identity.podLabels.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** Where this sidecar runs, stamped on every event: the pod in a cluster, else the host and OS user. */
function eventSource(config: SidecarConfig): EventSource {
  const { cluster, namespace, pod, podUid } = config.identity;
  if (pod !== undefined) {
    return { ...(cluster !== undefined ? { cluster } : {}), ...(namespace !== undefined ? { namespace } : {}), pod, ...(podUid !== undefined ? { uid: podUid } : {}) };
  }
  let osUser: string | undefined;
  try { osUser = userInfo().username; } catch { /* no passwd entry for this uid */ }
  return { ...(cluster !== undefined ? { cluster } : {}), host: hostname(), ...(osUser !== undefined ? { osUser } : {}) };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The AWS SDK's standard chain: env, shared config/SSO, web identity, ECS/EKS, IMDS. */
function defaultCredentialProvider(): CredentialProvider {
  let chain: CredentialProvider | undefined;
  return async () => {
    if (chain === undefined) {
      const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
      chain = fromNodeProviderChain();
    }
    return chain();
  };
}
