/**
 * Small parsers for Google Health API JSON values.
 *
 *   int64('2038') -> 2038            offsetFromDuration('19800s') -> '+05:30'
 *   civilDate({year, month, day}) -> 'YYYY-MM-DD'      toSource(dataSource) -> MeasurementSource
 *   dailyBounds('2026-10-05', '-04:00') -> { start, end } local midnights
 */

import type { MeasurementSource } from '../../../fhir/measurement.ts';
import { DAY_MS, formatCivilDate, formatOffset, localDayStartMs, toLocalIso } from '../../../fhir/time.ts';
import type { CivilDate, DataSource, Duration, Int64 } from './google-health.types.ts';

export const VENDOR = 'fitbit';

/** int64 JSON strings -> number. NOTE: proto3 JSON sends int64 as strings (google-health-api.md §0.2). */
export function int64(value: Int64 | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new RangeError(`invalid int64: ${value}`);
  return n;
}

/** NOTE: UTC offsets arrive as proto Durations, '19800s' = +05:30 (google-health-api.md §0.2). */
export function offsetFromDuration(duration: Duration | undefined): string {
  if (duration === undefined) return '+00:00';
  const m = /^(-?\d+)(?:\.\d+)?s$/.exec(duration);
  if (!m) throw new RangeError(`invalid utc offset duration: ${duration}`);
  const seconds = Number(m[1]);
  if (seconds % 60 !== 0) throw new RangeError(`utc offset is not whole minutes: ${duration}`);
  return formatOffset(seconds / 60);
}

export function civilDate(d: CivilDate): string {
  return formatCivilDate(d);
}

export function toSource(ds: DataSource | undefined): MeasurementSource {
  const source: MeasurementSource = { vendor: VENDOR };
  if (ds?.device?.displayName) source.deviceName = ds.device.displayName;
  if (ds?.device?.manufacturer) source.manufacturer = ds.device.manufacturer;
  if (ds?.recordingMethod) source.recordingMethod = ds.recordingMethod;
  if (ds?.platform) source.platform = ds.platform;
  return source;
}

/** The local day [00:00, next 00:00) as RFC 3339 strings at `offset`. */
export function dailyBounds(localDate: string, offset: string): { start: string; end: string } {
  const startMs = localDayStartMs(localDate, offset);
  return { start: toLocalIso(startMs, offset), end: toLocalIso(startMs + DAY_MS, offset) };
}

/** Rounds away binary float noise from unit conversions (81234.5 g / 1000 stays 81.2345 kg). */
export function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
