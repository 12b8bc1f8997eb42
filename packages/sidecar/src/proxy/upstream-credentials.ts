import type { Logger, SigningCredentials } from '@agentrail/core';

/** What the standard AWS credential chain yields. */
export interface ProvidedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  expiration?: Date | undefined;
}

export type CredentialProvider = () => Promise<ProvidedCredentials>;

/** Refresh this long before expiry; SDKs use 5 minutes, we keep a wider margin. */
const REFRESH_BEFORE_MS = 10 * 60 * 1000;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 60_000;

/**
 * The sidecar's real AWS credentials, from the standard credential chain. They
 * are fetched at start and refreshed in the background before they expire, so
 * the request path only reads a field: never a credential fetch, never an STS
 * call per request. A failed refresh keeps the old credentials until they
 * expire and retries with jittered backoff.
 */
export class UpstreamCredentials {
  private creds: ProvidedCredentials | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly provider: CredentialProvider,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Loads the first credentials; rejects when the chain has none. */
  async start(): Promise<void> {
    this.creds = await this.provider();
    this.schedule();
  }

  /** The current credentials, or undefined when none are valid (expired or never loaded). */
  current(): SigningCredentials | undefined {
    const c = this.creds;
    if (c === undefined) return undefined;
    if (c.expiration !== undefined && c.expiration.getTime() <= this.now()) return undefined;
    return c;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped || this.creds?.expiration === undefined) return;
    const due = this.creds.expiration.getTime() - REFRESH_BEFORE_MS - this.now();
    const backoff = this.failures === 0 ? 0 : Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.failures) * (0.5 + Math.random() / 2);
    this.timer = setTimeout(() => void this.refresh(), Math.max(due, backoff, 0));
    this.timer.unref();
  }

  private async refresh(): Promise<void> {
    try {
      this.creds = await this.provider();
      this.failures = 0;
    } catch (err) {
      this.failures++;
      this.logger.warn('upstream credential refresh failed', { code: 'UPSTREAM_CREDENTIALS_REFRESH', error: String(err) });
    }
    this.schedule();
  }
}
