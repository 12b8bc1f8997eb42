import { CelScalar, celMethod, objectType, type CelFunc } from '@bufbuild/cel';

/**
 * Timestamp accessors with a time zone (`time.getHours('Europe/Berlin')`),
 * replacing the library's: it builds a new Intl.DateTimeFormat on every
 * call (~60 µs); here one formatter per zone is kept, so a business-hours
 * condition costs a few µs. Semantics follow the CEL spec: IANA names,
 * `UTC`, or a fixed offset `+02:00`; months and days of month are 0-based,
 * getDate is 1-based, Sunday is 0.
 */
interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const MAX_ZONES = 64;
const OFFSET = /^([+-]?)(\d\d):(\d\d)$/;
const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    // Throws RangeError on an unknown zone: the evaluator turns it into a CEL error.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    if (formatters.size >= MAX_ZONES) formatters.clear();
    formatters.set(zone, f);
  }
  return f;
}

function utcParts(d: Date): Parts {
  return { year: d.getUTCFullYear(), month: d.getUTCMonth(), day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay() };
}

function partsIn(ms: number, zone: string | undefined): Parts {
  if (zone === undefined || zone === 'UTC') return utcParts(new Date(ms));
  const offset = OFFSET.exec(zone);
  if (offset !== null) {
    const minutes = Number(offset[2]) * 60 + Number(offset[3]);
    return utcParts(new Date(ms + (offset[1] === '-' ? -minutes : minutes) * 60_000));
  }
  const p: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of formatter(zone).formatToParts(ms)) p[part.type] = part.value;
  return { year: Number(p.year), month: Number(p.month) - 1, day: Number(p.day), hour: Number(p.hour), minute: Number(p.minute), second: Number(p.second), weekday: WEEKDAYS[p.weekday ?? ''] ?? 0 };
}

function dayOfYear(p: Parts): number {
  return Math.round((Date.UTC(p.year, p.month, p.day) - Date.UTC(p.year, 0, 1)) / 86_400_000);
}

const ACCESSORS: ReadonlyArray<[string, (p: Parts) => number]> = [
  ['getFullYear', (p) => p.year],
  ['getMonth', (p) => p.month],
  ['getDate', (p) => p.day],
  ['getDayOfMonth', (p) => p.day - 1],
  ['getDayOfWeek', (p) => p.weekday],
  ['getDayOfYear', dayOfYear],
  ['getHours', (p) => p.hour],
  ['getMinutes', (p) => p.minute],
  ['getSeconds', (p) => p.second],
];

const TIMESTAMP = objectType('google.protobuf.Timestamp');

/** The timestamp's milliseconds since the epoch (`this` of a method is the reflected Timestamp). */
function millis(ts: unknown): number {
  const m = (ts as { message: { seconds: bigint; nanos: number } }).message;
  return Number(m.seconds) * 1000 + Math.floor(m.nanos / 1e6);
}

/** The replacement accessors, with and without a zone argument. */
export const TIME_FUNCS: readonly CelFunc[] = ACCESSORS.flatMap(([name, get]) => [
  celMethod(name, TIMESTAMP, [], CelScalar.INT, function (this: unknown) {
    return BigInt(get(partsIn(millis(this), undefined)));
  }),
  celMethod(name, TIMESTAMP, [CelScalar.STRING], CelScalar.INT, function (this: unknown, zone: string) {
    return BigInt(get(partsIn(millis(this), zone)));
  }),
]);
