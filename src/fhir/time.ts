/**
 * Offset-aware time helpers for the FHIR layer. Pure: no clock, no time-zone database.
 *
 *   parseOffset('+05:30') -> 330 (throws if invalid)   offsetMinutes('+05:30') -> 330 (undefined if invalid)
 *   formatOffset(-240) -> '-04:00'
 *   toLocalIso(ms, '+05:30') -> '2026-08-29T10:59:57+05:30'   (ms only when non-zero)
 *   localDateOf('2026-08-28T20:00:00Z', '+05:30') -> '2026-08-29'
 *   localDayStartMs('2026-08-29', '+05:30') -> epoch ms of 2026-08-29T00:00:00+05:30
 *
 * Wearables give a fixed UTC offset per record, not an IANA zone, so every local time here is
 * "instant + that offset". A day is always 24 h long in that offset (a DST change inside the
 * day is not modelled: the vendor gives one offset per record).
 */

const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

// A person has a handful of offsets; this runs per heart-rate sample, so parse each once.
const parsedOffsets = new Map<string, number>();

const OFFSET_RE = /^([+-])(\d{2}):(\d{2})$/;

/** '+05:30' | 'Z' -> minutes east of UTC; undefined for anything else (an IANA name included). */
export function offsetMinutes(offset: string): number | undefined {
  if (offset === 'Z') return 0;
  const m = OFFSET_RE.exec(offset);
  if (!m || Number(m[3]) > 59) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  if (minutes > 14 * 60) return undefined;
  return m[1] === '-' ? -minutes : minutes;
}

/** '+05:30' | '-04:00' | 'Z' -> minutes east of UTC (`offsetMinutes`). Throws on anything else. */
export function parseOffset(offset: string): number {
  const known = parsedOffsets.get(offset);
  if (known !== undefined) return known;
  const minutes = offsetMinutes(offset);
  if (minutes === undefined) throw new RangeError(`invalid UTC offset: ${offset}`);
  if (parsedOffsets.size < 1_000) parsedOffsets.set(offset, minutes);
  return minutes;
}

/** Minutes east of UTC -> '+hh:mm'. UTC is '+00:00' (a known zero offset, not an unknown 'Z'). */
export function formatOffset(minutes: number): string {
  if (!Number.isInteger(minutes) || Math.abs(minutes) > 14 * 60) {
    throw new RangeError(`invalid UTC offset minutes: ${minutes}`);
  }
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** Epoch ms -> RFC 3339 local time in `offset`; fractional seconds only when the ms are non-zero. */
export function toLocalIso(epochMs: number, offset: string): string {
  const local = epochMs + parseOffset(offset) * MINUTE_MS;
  const zone = offset === 'Z' ? '+00:00' : offset;
  // NOTE: runs per heart-rate sample; arithmetic is much cheaper than Date#toISOString + slicing.
  // Years outside 0000-9999 and fractional ms keep the Date path (same output either way).
  if (!Number.isInteger(local) || local < MIN_FAST_MS || local >= MAX_FAST_MS) {
    const shifted = new Date(local).toISOString(); // ...sss'Z'
    const ms = shifted.slice(19, 23);
    return `${shifted.slice(0, 19)}${ms === '.000' ? '' : ms}${zone}`;
  }
  const day = Math.floor(local / DAY_MS);
  const inDay = local - day * DAY_MS;
  const seconds = Math.floor(inDay / 1000);
  const ms = inDay - seconds * 1000;
  const hh = TWO_DIGITS[Math.floor(seconds / 3600)];
  const mm = TWO_DIGITS[Math.floor(seconds / 60) % 60];
  const ss = TWO_DIGITS[seconds % 60];
  const frac = ms === 0 ? '' : `.${String(ms).padStart(3, '0')}`;
  return `${civilDate(day)}T${hh}:${mm}:${ss}${frac}${zone}`;
}

/** Any RFC 3339 instant -> epoch ms. Throws on an unparseable string. */
export function toEpochMs(instant: string): number {
  const ms = instantMs(instant);
  if (Number.isNaN(ms)) throw new RangeError(`invalid instant: ${instant}`);
  return ms;
}

/** An instant -> epoch ms, NaN when it does not parse (as Date.parse, several times faster on RFC 3339). */
export function instantMs(instant: string): number {
  return parseRfc3339(instant) ?? Date.parse(instant);
}

/** The calendar date of an instant as seen at `offset`. */
export function localDateOf(instant: string | number, offset: string): string {
  const ms = typeof instant === 'number' ? instant : toEpochMs(instant);
  return toLocalIso(ms, offset).slice(0, 10);
}

/** Epoch ms of local midnight starting `localDate` at `offset`. */
export function localDayStartMs(localDate: string, offset: string): number {
  const days =
    localDate.length === 10 && localDate.charCodeAt(4) === 45 && localDate.charCodeAt(7) === 45 // '-'
      ? civilDays(digits(localDate, 0, 4), digits(localDate, 5, 2), digits(localDate, 8, 2))
      : undefined;
  if (days === undefined) throw new RangeError(`invalid local date: ${localDate}`);
  return days * DAY_MS - parseOffset(offset) * MINUTE_MS;
}

/** `{year, month, day}` (a google.type.Date) -> 'YYYY-MM-DD'. */
export function formatCivilDate(d: { year: number; month: number; day: number }): string {
  return `${String(d.year).padStart(4, '0')}-${pad2(d.month)}-${pad2(d.day)}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => pad2(i));
// Four-digit years, where the arithmetic and Date#toISOString agree: [0000-01-01, 10000-01-01).
const MIN_FAST_MS = -62_167_219_200_000;
const MAX_FAST_MS = 253_402_300_800_000;

// Consecutive samples share their day: remember the last few formatted days.
const civilDates = new Map<number, string>();

/** Days since 1970-01-01 -> 'YYYY-MM-DD' (proleptic Gregorian; H. Hinnant's civil_from_days). */
function civilDate(days: number): string {
  const known = civilDates.get(days);
  if (known !== undefined) return known;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const text = `${String(y).padStart(4, '0')}-${TWO_DIGITS[m]}-${TWO_DIGITS[d]}`;
  if (civilDates.size >= 64) civilDates.clear();
  civilDates.set(days, text);
  return text;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days since 1970-01-01 of a valid date with a four-digit year; undefined for e.g. 2026-02-30. */
function civilDays(year: number, month: number, day: number): number | undefined {
  if (year < 0 || month < 1 || month > 12 || day < 1) return undefined;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1]! + (leap ? 1 : 0)) return undefined;
  return daysFromCivil(year, month, day);
}

/**
 * The common shapes 'YYYY-MM-DDTHH:MM:SS[.sss](Z|+hh:mm)' by arithmetic; undefined for anything
 * else (the caller falls back to Date.parse, which gives the same value for these shapes).
 */
function parseRfc3339(s: string): number | undefined {
  const n = s.length;
  if (n !== 20 && n !== 24 && n !== 25 && n !== 29) return undefined;
  const fraction = n === 24 || n === 29;
  const tz = fraction ? 23 : 19;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84) return undefined; // '-' '-' 'T'
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return undefined; // ':' ':'
  if (fraction && s.charCodeAt(19) !== 46) return undefined; // '.'
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  const milli = fraction ? digits(s, 20, 3) : 0;
  const days = civilDays(year, month, day);
  if (days === undefined || hour < 0 || hour > 23 || minute < 0 || minute > 59) return undefined;
  if (second < 0 || second > 59 || milli < 0) return undefined;
  let offsetMinutes = 0;
  if (n === tz + 1) {
    if (s.charCodeAt(tz) !== 90) return undefined; // 'Z'
  } else {
    const sign = s.charCodeAt(tz);
    if ((sign !== 43 && sign !== 45) || s.charCodeAt(tz + 3) !== 58) return undefined; // '+' '-' ':'
    const oh = digits(s, tz + 1, 2);
    const om = digits(s, tz + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
    offsetMinutes = (sign === 45 ? -1 : 1) * (oh * 60 + om);
  }
  return days * DAY_MS + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + milli;
}

/**
 * The decimal number in s[from, from + count), or -1 when a character is not a digit (the fast
 * date readers: this module's RFC 3339 and the Apple Health export's dates).
 */
export function digits(s: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}
