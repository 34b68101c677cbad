/**
 * Small parsers for Withings JSON values, and the result shape every Withings mapper returns.
 *
 *   scaleValue(65750, -3)              -> 65.75   (value x 10^unit, decimal-exact)
 *   zoneOf('Europe/Paris', ctx)        -> 'Europe/Paris' (ctx.fallbackZone or 'UTC' when missing/unknown)
 *   localTimeIn(zone, epochSeconds)    -> { time: '2021-04-17T22:30:53+02:00', offset: '+02:00' }
 *   idText(4815757309)                 -> '4815757309'  (undefined for anything but a safe integer or a non-empty string)
 *   skip(result, 'ambiguous')          -> counts one record left out, and why
 */
import type { Measurement } from '../../../fhir/measurement.ts';
import { formatOffset, toLocalIso } from '../../../fhir/time.ts';
import { isValidZone, offsetAt } from '../../../fhir/zones.ts';
import type { WithingsId } from './withings.types.ts';

export const VENDOR = 'withings';
export const MANUFACTURER = 'Withings';

export interface WithingsMapContext {
  /** The Withings `userid` of the connection, as a string (Withings sends an integer or a string). */
  userId: string;
  /** Zone for rows whose `timezone` is missing or unknown (the person's stored zone); default 'UTC'. */
  fallbackZone?: string;
}

/** Why a record was left out. Counted, never logged with its value. */
export type SkipReason =
  /** attrib 1: a shared scale could not tell whose measure it is. */
  | 'ambiguous'
  /** attrib 4: typed in when the account was created, "may not be accurate". */
  | 'creation_time'
  /** category 2: a goal, not a measure. */
  | 'objective'
  /** a meastype this project has no type for (hydration, pulse wave velocity, segments, ...). */
  | 'unsupported_type'
  /** a second value for a record already mapped (same group and type, or a repeated group). */
  | 'duplicate'
  /** half a blood-pressure reading; a night without any sleep duration. */
  | 'incomplete'
  /** activity from a phone or partner app (`is_tracker: false`, no `deviceid`). */
  | 'external_source'
  /** a value, id, date or time that does not parse. */
  | 'invalid';

export type SkipCounts = Partial<Record<SkipReason, number>>;

export interface WithingsMapResult {
  measurements: Measurement[];
  skipped: SkipCounts;
}

/** The context's userId, checked once: it is part of every record's key. */
export function checkedUserId(ctx: WithingsMapContext): string {
  const id = idText(ctx.userId);
  if (id === undefined) throw new RangeError('Withings userId must be a non-empty id');
  return id;
}

export function emptyResult(): WithingsMapResult {
  return { measurements: [], skipped: {} };
}

export function skip(result: WithingsMapResult, reason: SkipReason, count = 1): void {
  if (count > 0) result.skipped[reason] = (result.skipped[reason] ?? 0) + count;
}

/**
 * `value x 10^unit` as the decimal it denotes: '380e-2' is parsed as the exact decimal 3.80 and
 * rounded once to the nearest double (3.8), where 380 * 10 ** -2 gives 3.8000000000000003.
 * NOTE: `unit` varies for the same type, record to record: never assume it (docs/withings.md "Mapping to FHIR").
 */
export function scaleValue(value: number, unit: number): number {
  if (!Number.isSafeInteger(value)) throw new RangeError('measure value is not an integer');
  if (!Number.isInteger(unit) || Math.abs(unit) > 20)
    throw new RangeError('measure unit is not a power of ten');
  return Number(`${value}e${unit}`);
}

/** The record's IANA zone when Intl knows it, else the context's fallback. */
export function zoneOf(zone: unknown, ctx: WithingsMapContext): string {
  return typeof zone === 'string' && isValidZone(zone) ? zone : (ctx.fallbackZone ?? 'UTC');
}

/** Epoch seconds -> local RFC 3339 time in the offset `zone` had at that instant. */
export function localTimeIn(
  zone: string,
  epochSeconds: number,
): { time: string; offset: string; ms: number } {
  const ms = epochSeconds * 1000;
  const offset = formatOffset(offsetAt(zone, ms));
  return { time: toLocalIso(ms, offset), offset, ms };
}

/** A whole epoch-seconds value, or undefined. */
export function epochSeconds(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** A record id as text: a safe integer or a non-empty string without ':' (identifiers join on it). */
export function idText(id: WithingsId | null | undefined): string | undefined {
  if (typeof id === 'number') return Number.isSafeInteger(id) ? String(id) : undefined;
  if (typeof id === 'string' && /^[A-Za-z0-9_.-]+$/.test(id)) return id;
  return undefined;
}

/** A finite, non-negative number, or undefined (absent, null, or garbage). */
export function amount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** 'YYYY-MM-DD' or undefined. */
export function civilDate(value: unknown): string | undefined {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined;
}
