import { DURATION } from './policy-limits.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a Go-style duration (`10m`, `1h30m`, `1.5h`, `250ms`) — the form
 * Kubernetes users write in `grantTTL` and `timeout` — into milliseconds.
 * Undefined when the text is not one.
 */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return Math.round(total);
}
