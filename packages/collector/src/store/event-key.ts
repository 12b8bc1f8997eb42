import { ulidTime } from '@agentrail/core';

/**
 * Row keys of the events table: the event id's (ULID) millisecond, times 4096,
 * plus the low 12 bits of its random part. Keys therefore sort by time, so a
 * time filter is a range scan of the table itself and every secondary index
 * (which ends in the key) is already in time order for its value — no time
 * index is needed. Ids of one sidecar within one millisecond differ in their
 * low bits (ULIDs are incremented there), so collisions need two sidecars in
 * the same millisecond with the same 12 bits; the writer then probes the
 * millisecond's next free slot.
 *
 * The epoch is moved to 2020 so that keys stay below 2^53 (exact JavaScript
 * numbers) until 2089; ids outside ±69 years of 2020 are refused.
 */
const EPOCH_MS = Date.UTC(2020, 0, 1);
const SLOT_BITS = 12;
export const SLOTS = 1 << SLOT_BITS;
const SPAN_MS = Math.floor(Number.MAX_SAFE_INTEGER / SLOTS) - 1;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** True when `id` is a ULID whose time the store can key. */
export function isKeyableUlid(id: unknown): id is string {
  if (typeof id !== 'string' || !ULID.test(id)) return false;
  return Math.abs(ulidTime(id) - EPOCH_MS) < SPAN_MS;
}

/** The preferred key of an event id (see the module comment); `isKeyableUlid(id)` must hold. */
export function keyOfId(id: string): number {
  const low = (CROCKFORD.indexOf(id[23] as string) << 10) | (CROCKFORD.indexOf(id[24] as string) << 5) | CROCKFORD.indexOf(id[25] as string);
  return (ulidTime(id) - EPOCH_MS) * SLOTS + (low & (SLOTS - 1));
}

/** The next slot in the same millisecond (wrapping), for a key that collided. */
export function nextSlot(key: number): number {
  const base = keyAtMs(msOfKey(key));
  return base + ((key - base + 1) % SLOTS);
}

/** The first key of a millisecond: `k >= keyAtMs(t)` means "at or after t". */
export function keyAtMs(ms: number): number {
  const clamped = Math.min(Math.max(ms - EPOCH_MS, -SPAN_MS), SPAN_MS);
  return clamped * SLOTS;
}

/** The millisecond a key stands for. */
export function msOfKey(key: number): number {
  return Math.floor(key / SLOTS) + EPOCH_MS;
}
