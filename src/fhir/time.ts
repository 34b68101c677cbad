/**
 * Offset-aware time helpers for the FHIR layer. Pure: no clock, no time-zone database.
 *
 *   parseOffset('+05:30') -> 330                 formatOffset(-240) -> '-04:00'
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

const OFFSET_RE = /^([+-])(\d{2}):(\d{2})$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

// A person has a handful of offsets; this runs per heart-rate sample, so parse each once.
const parsedOffsets = new Map<string, number>();

/** '+05:30' | '-04:00' | 'Z' -> minutes east of UTC. Throws on anything else. */
export function parseOffset(offset: string): number {
  const known = parsedOffsets.get(offset);
  if (known !== undefined) return known;
  let minutes = 0;
  if (offset !== 'Z') {
    const m = OFFSET_RE.exec(offset);
    if (!m) throw new RangeError(`invalid UTC offset: ${offset}`);
    minutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  }
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
  const shifted = new Date(epochMs + parseOffset(offset) * MINUTE_MS).toISOString(); // ...sss'Z'
  const ms = shifted.slice(19, 23);
  return `${shifted.slice(0, 19)}${ms === '.000' ? '' : ms}${offset === 'Z' ? '+00:00' : offset}`;
}

/** Any RFC 3339 instant -> epoch ms. Throws on an unparseable string. */
export function toEpochMs(instant: string): number {
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) throw new RangeError(`invalid instant: ${instant}`);
  return ms;
}

/** The calendar date of an instant as seen at `offset`. */
export function localDateOf(instant: string | number, offset: string): string {
  const ms = typeof instant === 'number' ? instant : toEpochMs(instant);
  return toLocalIso(ms, offset).slice(0, 10);
}

/** Epoch ms of local midnight starting `localDate` at `offset`. */
export function localDayStartMs(localDate: string, offset: string): number {
  const m = DATE_RE.exec(localDate);
  if (!m) throw new RangeError(`invalid local date: ${localDate}`);
  const utcMidnight = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const check = new Date(utcMidnight).toISOString().slice(0, 10);
  if (check !== localDate) throw new RangeError(`invalid local date: ${localDate}`);
  return utcMidnight - parseOffset(offset) * MINUTE_MS;
}

/** `{year, month, day}` (a google.type.Date) -> 'YYYY-MM-DD'. */
export function formatCivilDate(d: { year: number; month: number; day: number }): string {
  return `${String(d.year).padStart(4, '0')}-${pad2(d.month)}-${pad2(d.day)}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
