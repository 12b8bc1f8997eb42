import { backoffDelay } from './backoff.js';

/** How {@link connectWithRetry} waits and when it gives up. */
export interface ConnectRetryOptions<C> {
  /** Checked before each attempt and after a success: true ends the loop. */
  stopped: () => boolean;
  /** Waits between attempts; the owner's own sleep, so `stop()` can cut it short. */
  pause: (ms: number) => Promise<void>;
  /** Backoff base and cap (jittered exponential, {@link backoffDelay}). */
  baseMs: number;
  maxMs: number;
  /** Each failed attempt (log the first, count them all). */
  onFailure?: (attempt: number, err: unknown) => void;
  /** Releases a connection made after the owner stopped. */
  discard?: (connection: C) => Promise<void>;
}

/**
 * Connects, retrying with jittered backoff until it succeeds or the owner
 * stops: the first connection to a broker that is down or not yet started
 * (AgentRail's components start in any order). Undefined when stopped.
 */
export async function connectWithRetry<C>(connect: () => Promise<C>, opts: ConnectRetryOptions<C>): Promise<C | undefined> {
  for (let attempt = 0; !opts.stopped(); attempt++) {
    let connection: C;
    try {
      connection = await connect();
    } catch (err) {
      opts.onFailure?.(attempt, err);
      await opts.pause(backoffDelay(attempt, opts.baseMs, opts.maxMs));
      continue;
    }
    if (!opts.stopped()) return connection;
    await opts.discard?.(connection).catch(() => undefined);
    return undefined;
  }
  return undefined;
}

/**
 * NATS client options for a connection that, once made, reconnects by itself
 * forever: short waits, jittered, and a ping every 10 s so a dead server is
 * noticed. `extra` (credentials, TLS) cannot change that policy.
 */
export function reconnectingNatsOptions<T extends object>(name: string, servers: string | string[], waitMs: number, extra?: T) {
  return {
    name,
    pingInterval: 10_000,
    ...extra,
    servers,
    maxReconnectAttempts: -1,
    reconnectTimeWait: waitMs,
    reconnectJitter: waitMs,
  };
}
