// Time zone and civil-time helpers. Everything works on epoch milliseconds and on
// local dates written 'YYYY-MM-DD'; Intl supplies the IANA rules (DST included).

const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

// Offsets only change on quarter-hour boundaries, so they are cached per zone and quarter hour.
const QUARTER_MS = 15 * MINUTE_MS;
const offsetCache = new Map<string, number>();
const dayStartCache = new Map<string, number>();

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size > 200_000) cache.clear();
  cache.set(key, value);
  return value;
}

/** The zone's UTC offset in seconds at an instant (e.g. -18000 for New York in winter). */
export function offsetSecondsAt(timeZone: string, ms: number): number {
  const key = `${timeZone}|${Math.floor(ms / QUARTER_MS)}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  return remember(offsetCache, key, computeOffset(timeZone, Math.floor(ms / QUARTER_MS) * QUARTER_MS));
}

function computeOffset(timeZone: string, ms: number): number {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(ms)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(
    fields.year ?? 1970,
    (fields.month ?? 1) - 1,
    fields.day ?? 1,
    fields.hour ?? 0,
    fields.minute ?? 0,
    fields.second ?? 0,
  );
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 1000);
}

/** 'YYYY-MM-DD' of an instant seen at a fixed offset. */
function dateAtOffset(ms: number, offsetSeconds: number): string {
  return new Date(ms + offsetSeconds * 1000).toISOString().slice(0, 10);
}

export function localDateOf(timeZone: string, ms: number): string {
  return dateAtOffset(ms, offsetSecondsAt(timeZone, ms));
}

/** 'YYYY-MM-DDTHH:mm:ss' local civil time (sortable as a string). */
export function civilStringAt(ms: number, offsetSeconds: number): string {
  return new Date(ms + offsetSeconds * 1000).toISOString().slice(0, 19);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/**
 * First instant whose local date is `date`. Found by search rather than arithmetic so
 * that zones whose DST switch happens at midnight (the day starts at 01:00) still work.
 */
export function startOfLocalDay(timeZone: string, date: string): number {
  const key = `${timeZone}|${date}`;
  const cached = dayStartCache.get(key);
  if (cached !== undefined) return cached;
  return remember(dayStartCache, key, searchStartOfLocalDay(timeZone, date));
}

function searchStartOfLocalDay(timeZone: string, date: string): number {
  const utcMidnight = Date.parse(`${date}T00:00:00Z`);
  let low = (utcMidnight - 15 * 3_600_000) / MINUTE_MS;
  let high = (utcMidnight + 15 * 3_600_000) / MINUTE_MS;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (localDateOf(timeZone, mid * MINUTE_MS) >= date) high = mid;
    else low = mid + 1;
  }
  return low * MINUTE_MS;
}

/** Local instant for a wall-clock time given as minutes since local midnight (may exceed 1440). */
export function localMinuteToInstant(timeZone: string, date: string, minuteOfDay: number): number {
  const guess = startOfLocalDay(timeZone, date) + minuteOfDay * MINUTE_MS;
  const drift = offsetSecondsAt(timeZone, guess) - offsetSecondsAt(timeZone, startOfLocalDay(timeZone, date));
  return guess - drift * 1000;
}

export interface CivilDate {
  year: number;
  month: number;
  day: number;
}
export interface CivilTime {
  hours?: number;
  minutes?: number;
  seconds?: number;
  nanos?: number;
}
export interface CivilDateTime {
  date: CivilDate;
  time?: CivilTime;
}

export function civilDate(date: string): CivilDate {
  return { year: Number(date.slice(0, 4)), month: Number(date.slice(5, 7)), day: Number(date.slice(8, 10)) };
}

/** Proto3 JSON CivilDateTime: zero time fields are omitted, and so is an all-zero time. */
export function civilDateTimeAt(ms: number, offsetSeconds: number): CivilDateTime {
  const local = new Date(ms + offsetSeconds * 1000);
  const time: CivilTime = {};
  if (local.getUTCHours()) time.hours = local.getUTCHours();
  if (local.getUTCMinutes()) time.minutes = local.getUTCMinutes();
  if (local.getUTCSeconds()) time.seconds = local.getUTCSeconds();
  if (local.getUTCMilliseconds()) time.nanos = local.getUTCMilliseconds() * 1_000_000;
  const date = {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
  };
  return Object.keys(time).length ? { date, time } : { date };
}

/** RFC 3339 in UTC; fractional seconds only when there are some (as Google prints them). */
export function rfc3339(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? `${iso.slice(0, 19)}Z` : iso;
}

export function durationString(seconds: number): string {
  return `${seconds}s`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export function parseRfc3339(text: string): number | undefined {
  if (!RFC3339.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

const CIVIL = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?$/;

/** Parses 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:mm[:ss]' (no offset) into a sortable civil string. */
export function parseCivil(text: string): { civil: string; hasTime: boolean } | undefined {
  const match = CIVIL.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  const check = new Date(`${y}-${mo}-${d}T00:00:00Z`);
  if (Number.isNaN(check.getTime()) || check.toISOString().slice(0, 10) !== `${y}-${mo}-${d}`)
    return undefined;
  const hasTime = h !== undefined;
  return { civil: `${y}-${mo}-${d}T${h ?? '00'}:${mi ?? '00'}:${s ?? '00'}`, hasTime };
}
