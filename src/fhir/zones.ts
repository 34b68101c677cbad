/**
 * Time zones: fixed offsets ('+05:30', 'Z') and IANA names ('Europe/Berlin', 'UTC'), through Intl.
 * The one place that asks the time-zone database; fixed offsets are parsed by time.ts.
 *
 *   offsetAt('Europe/Berlin', ms)          -> 60 or 120: minutes east of UTC in force at that instant
 *   zoneOffsetAt(zone, wallMs)             -> the offset of a local wall-clock time given as if UTC
 *   localDateIn('Asia/Tokyo', ms)          -> '2026-08-30'
 *   isValidZone(zone)                      -> fixed offset or a zone Intl knows
 *   storedZone(users.time_zone)            -> the stored zone when valid, else undefined
 *   userZone(users.time_zone, fallback)    -> the zone a person's local dates are read in
 */
import { offsetMinutes } from './time.ts';

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** Minutes east of UTC in `zone` at the instant `ms`. */
export function offsetAt(zone: string, ms: number): number {
  const fixed = zone === 'UTC' ? 0 : offsetMinutes(zone);
  if (fixed !== undefined) return fixed;
  let fmt = offsetFormats.get(zone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    offsetFormats.set(zone, fmt);
  }
  const name = fmt.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
  if (!m) return 0; // 'GMT' alone: UTC
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return m[1] === '-' ? -minutes : minutes;
}

/**
 * Offset of `zone` around a local wall-clock time given as if it were UTC. Two passes: the offset at
 * the guessed instant, then at the corrected one. A time in a DST gap gets the offset from before
 * the jump (Berlin 02:30 on the spring day: +01:00); a repeated time gets its second occurrence.
 */
export function zoneOffsetAt(zone: string, wallMs: number): number {
  const first = offsetAt(zone, wallMs);
  return offsetAt(zone, wallMs - first * 60_000);
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** The local calendar date of an instant in `zone` (an IANA name or a fixed offset). */
export function localDateIn(zone: string, ms: number): string {
  const fixed = offsetMinutes(zone);
  if (fixed !== undefined) return new Date(ms + fixed * 60_000).toISOString().slice(0, 10);
  let fmt = dateFormats.get(zone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    dateFormats.set(zone, fmt);
  }
  return fmt.format(new Date(ms));
}

/** True when `zone` is a fixed offset or a zone name Intl knows. */
export function isValidZone(zone: string): boolean {
  if (offsetMinutes(zone) !== undefined) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A person's stored zone (users.time_zone, as a vendor reported it) when it is valid. */
export function storedZone(stored: string | null | undefined): string | undefined {
  return stored && isValidZone(stored) ? stored : undefined;
}

/** The zone a person's local dates are read in: their stored zone when valid, else the configured default. */
export function userZone(stored: string | null | undefined, defaultZone: string): string {
  return storedZone(stored) ?? defaultZone;
}
