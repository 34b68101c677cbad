/**
 * Intraday heart rate: raw samples -> one measurement per device and local hour, and the lossless
 * SampledData encoding of such a window (docs/fhir.md, "Intraday heart rate", for the measurements).
 *
 *   groupHeartRateSamples(samples)       -> Measurement[]   (type heart_rate, value = mean, samples kept)
 *   encodeSamples(samples)               -> { period, data } for valueSampledData, origin = first sample
 *   decodeSamples(start, period, data)   -> Sample[]        (the inverse, as local times for the API)
 *   samplesComponentOf(obs)              -> the Observation's samples component, if any
 *   sampleStats(data)                    -> { count, min, max, sum } of the values decodeSamples lists
 *
 * The grid period is the GCD of the sample spacing, so a 1/min series costs one token per sample
 * and irregular spacing still round-trips exactly; empty grid slots are 'E' (R4 SampledData.data).
 * Times are whole seconds (see NOTE below), which bounds an hour to 3,600 grid slots.
 */

import type { Observation, ObservationComponent } from '@medplum/fhirtypes';
import { HEART_RATE_SAMPLES_CODE } from './codes.ts';
import { deviceKey } from './ids.ts';
import type { Measurement, MeasurementSource, Sample, WindowSample } from './measurement.ts';
import { parseOffset, toEpochMs, toLocalIso } from './time.ts';

export interface RawHeartRateSample {
  /** RFC 3339 instant, any offset. */
  time: string;
  /** The local UTC offset at that time, '+05:30'. */
  utcOffset: string;
  /** Beats per minute. */
  value: number;
  source: MeasurementSource;
}

const HOUR_MS = 3_600_000;

/** One hour at 1-second resolution; a window never needs more. */
const MAX_GRID_SLOTS = 3_600;

/**
 * Windows samples by (vendor, device, offset, local hour). The caller passes every sample of each
 * hour it wants written: a window is replaced as a whole on re-sync (same vendorKey, same id).
 */
export function groupHeartRateSamples(samples: readonly RawHeartRateSample[]): Measurement[] {
  const groups = new Map<
    string,
    { source: MeasurementSource; offset: string; points: Map<number, number> }
  >();
  for (const s of samples) {
    const offsetMs = parseOffset(s.utcOffset) * 60_000; // validates
    // NOTE: wrist heart rate is sampled at most once a second and the Google Health API sends whole
    // seconds (list-heart-rate-live-thirdparty.json); sub-second parts are dropped to bound the grid.
    const ms = Math.floor(toEpochMs(s.time) / 1000) * 1000;
    const localHour = Math.floor((ms + offsetMs) / HOUR_MS); // the local hour, as a number
    const key = `${s.source.vendor}|${deviceKey(s.source) ?? '-'}|${s.utcOffset}|${localHour}`;
    let group = groups.get(key);
    if (!group) {
      group = { source: s.source, offset: s.utcOffset, points: new Map() };
      groups.set(key, group);
    }
    const previous = group.points.get(ms);
    // Two values in the same second of one device: keep the lower, so the result ignores input order.
    if (previous === undefined || s.value < previous) group.points.set(ms, s.value);
  }

  const out: Measurement[] = [];
  for (const group of groups.values()) {
    const times = [...group.points.keys()].sort((a, b) => a - b);
    const windowSamples: WindowSample[] = times.map((at) => ({ at, value: group.points.get(at)! }));
    const start = toLocalIso(times[0]!, group.offset);
    const hourStart = `${start.slice(0, 13)}:00:00${group.offset}`;
    out.push({
      type: 'heart_rate',
      value: mean(windowSamples),
      unit: '/min',
      samples: windowSamples,
      start,
      end: toLocalIso(times[times.length - 1]!, group.offset),
      utcOffset: group.offset,
      localDate: start.slice(0, 10),
      source: group.source,
      vendorKey: `heart_rate|${deviceKey(group.source) ?? '-'}|${hourStart}`,
      daily: false,
    });
  }
  return out.sort(
    (a, b) => toEpochMs(a.start) - toEpochMs(b.start) || a.vendorKey.localeCompare(b.vendorKey),
  );
}

/** Samples (time-ordered, distinct times) -> SampledData period (ms) and data; origin time = first sample. */
export function encodeSamples(samples: readonly WindowSample[]): { period: number; data: string } {
  const first = samples[0];
  if (!first) throw new RangeError('a sample window needs at least one sample');
  const t0 = first.at;
  let period = 0;
  for (const s of samples) period = gcd(period, s.at - t0);
  if (period === 0) period = 1000;
  const slots = (samples[samples.length - 1]!.at - t0) / period + 1;
  if (slots > MAX_GRID_SLOTS) {
    throw new RangeError(`sample window needs ${slots} grid slots (max ${MAX_GRID_SLOTS}); window it first`);
  }
  // One pass, no token array: a window is encoded for every Observation written (bench/fhir).
  let data = String(first.value);
  let slot = 0;
  for (let i = 1; i < samples.length; i++) {
    const s = samples[i]!;
    const at = (s.at - t0) / period;
    if (at <= slot) throw new RangeError('window samples must be time-ordered with distinct times');
    while (++slot < at) data += ' E';
    data += ` ${s.value}`;
  }
  return { period, data };
}

/** Inverse of encodeSamples: `start` is the first sample's local time (its offset is reused). */
export function decodeSamples(start: string, period: number, data: string): Sample[] {
  const t0 = toEpochMs(start);
  const offset = offsetOf(start);
  const out: Sample[] = [];
  const tokens = data.split(' ');
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === 'E' || token === 'L' || token === 'U' || token === '') continue;
    out.push({ time: toLocalIso(t0 + i * period, offset), value: Number(token) });
  }
  return out;
}

/** The component holding a window's samples (what the health API lists and the summary counts). */
export function samplesComponentOf(obs: Observation): ObservationComponent | undefined {
  return obs.component?.find(
    (c) =>
      c.valueSampledData?.data !== undefined && c.code.coding?.[0]?.code === HEART_RATE_SAMPLES_CODE.code,
  );
}

export interface SampleStats {
  count: number;
  /** null when there is no value (count 0). */
  min: number | null;
  max: number | null;
  sum: number | null;
}

/**
 * Count, min, max and sum of the values decodeSamples lists (finite numbers only): a window's
 * samples as the summary aggregates them (its max is the highest reading, not the highest mean).
 */
export function sampleStats(data: string): SampleStats {
  let count = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let from = 0;
  while (from <= data.length) {
    let to = data.indexOf(' ', from);
    if (to < 0) to = data.length;
    const token = data.slice(from, to);
    from = to + 1;
    if (token === 'E' || token === 'L' || token === 'U' || token === '') continue;
    const value = Number(token);
    if (!Number.isFinite(value)) continue;
    count += 1;
    if (value < min) min = value;
    if (value > max) max = value;
    sum += value;
  }
  return count === 0 ? { count, min: null, max: null, sum: null } : { count, min, max, sum };
}

/** The offset written at the end of a local RFC 3339 time ('Z' reads as '+00:00'). */
function offsetOf(localTime: string): string {
  const tail = localTime.slice(-6);
  return /^[+-]\d{2}:\d{2}$/.test(tail) ? tail : '+00:00';
}

function mean(samples: readonly WindowSample[]): number {
  let sum = 0;
  for (const s of samples) sum += s.value;
  return Math.round((sum / samples.length) * 100) / 100;
}

function gcd(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y) [x, y] = [y, x % y];
  return x;
}
