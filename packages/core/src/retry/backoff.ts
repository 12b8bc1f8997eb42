/**
 * Exponential backoff with jitter: `base · 2^attempt`, capped at `max`, then a
 * random point in its upper half — spread out so that many clients retrying
 * after one outage do not arrive together, yet never much shorter than planned.
 *
 * @example
 * backoffDelay(0, 200, 30_000) // 100..200 ms
 * backoffDelay(10, 200, 30_000) // 15..30 s
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
