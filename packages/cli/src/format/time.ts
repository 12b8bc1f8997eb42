/**
 * Times as people read them in a terminal. Absolute times are UTC with a `Z`:
 * an audit trail is read across time zones, and the stored times are UTC.
 */

const UNITS: readonly [number, string][] = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'm'],
  [1_000, 's'],
];

/** `2025-11-26 14:16:03Z` */
export function formatAbsolute(time: Date | string): string {
  const d = typeof time === 'string' ? new Date(time) : time;
  if (Number.isNaN(d.getTime())) return String(time);
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** `14:16:03.120`, or `11-26 14:16:03.120` when `withDate` (a listing that spans days). */
export function formatClock(time: Date | string, withDate = false): string {
  const d = typeof time === 'string' ? new Date(time) : time;
  if (Number.isNaN(d.getTime())) return String(time);
  const iso = d.toISOString();
  return withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 23)}` : iso.slice(11, 23);
}

/**
 * `just now`, `42s ago`, `5m ago`, `3h ago`, `2d ago` — the largest whole unit.
 * A time ahead of `now` (clock skew between hosts) reads `in 5s`.
 */
export function formatRelative(time: Date | string, now: Date): string {
  const d = typeof time === 'string' ? new Date(time) : time;
  if (Number.isNaN(d.getTime())) return String(time);
  const delta = now.getTime() - d.getTime();
  const abs = Math.abs(delta);
  if (abs < 1_000) return 'just now';
  const [size, unit] = UNITS.find(([ms]) => abs >= ms)!;
  const n = Math.floor(abs / size);
  return delta >= 0 ? `${n}${unit} ago` : `in ${n}${unit}`;
}

/** `5m ago (2025-11-26 14:16:03Z)` */
export function formatWhen(time: Date | string, now: Date): string {
  return `${formatRelative(time, now)} (${formatAbsolute(time)})`;
}

/** True when the times fall on more than one UTC day. */
export function spansDays(times: Iterable<string>): boolean {
  let day: string | undefined;
  for (const t of times) {
    const d = t.slice(0, 10);
    if (day === undefined) day = d;
    else if (d !== day) return true;
  }
  return false;
}
