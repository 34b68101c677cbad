// Activity as Withings sees it: the watch counts the steps the person walked (the Fitbit tracker's
// minutes, scaled by the watch's own calibration) and syncs every 30 minutes; a phone app forwards its
// count once a day as a brand-18 row. Daily rows are sums of the minutes, so intraday and daily agree.

import { createRng, hashSeed } from '../../lib/prng.ts';
import { generateDay } from '../../people/day.ts';
import type { PersonProfile } from '../../people/model.ts';
import { deviceOf, PHONE_SOURCE, WATCH_BRAND } from '../devices.ts';
import type { ActivityFields, ActivityRow, ActivitySource } from '../withings.types.ts';
import { traitsOf } from './traits.ts';

const MINUTE = 60_000;
const SYNC_EVERY = 30 * MINUTE;

export interface MinuteData {
  dayStart: number;
  dayEnd: number;
  /** Steps the watch counted per minute; -1 where it was not worn. */
  watchSteps: Int32Array;
  /** The watch's heart-rate sample per minute; 0 where there is none. */
  watchHr: Uint8Array;
  phoneSteps: Int32Array;
}

/** The day's minutes, from the same simulation that feeds the Fitbit side (revision 0). */
export function minuteDataOf(person: PersonProfile, date: string): MinuteData {
  const day = generateDay(person, date, () => 0, true);
  const minutes = Math.round((day.dayEnd - day.dayStart) / MINUTE);
  const watchSteps = new Int32Array(minutes).fill(-1);
  const watchHr = new Uint8Array(minutes);
  const phoneSteps = new Int32Array(minutes);
  const { watchFactor, hrMinute } = traitsOf(person);
  const minuteOf = (t: number) => Math.floor((t - day.dayStart) / MINUTE);
  for (const point of day.points.get('steps') ?? []) {
    const m = minuteOf(point.start);
    if (point.source === 'tracker') watchSteps[m] = Math.round(point.value * watchFactor);
    else if (point.source === 'phone') phoneSteps[m] = point.value;
  }
  for (const point of day.points.get('heart-rate') ?? []) {
    const m = minuteOf(point.start);
    // NOTE: the watch samples heart rate every 10 minutes, and every minute while walking.
    if (m % 10 === hrMinute || (watchSteps[m] ?? 0) >= 60) watchHr[m] = point.value;
  }
  return { dayStart: day.dayStart, dayEnd: day.dayEnd, watchSteps, watchHr, phoneSteps };
}

/** The watch's last sync at or before `nowMs`, on its half-hour grid. */
export function lastWatchSync(person: PersonProfile, nowMs: number): number {
  const offset = traitsOf(person).syncOffsetMinutes * MINUTE;
  return Math.floor((nowMs - offset) / SYNC_EVERY) * SYNC_EVERY + offset;
}

function firstWatchSyncAfter(person: PersonProfile, ms: number): number {
  const offset = traitsOf(person).syncOffsetMinutes * MINUTE;
  return Math.ceil((ms - offset) / SYNC_EVERY) * SYNC_EVERY + offset;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

function aggregate(
  person: PersonProfile,
  data: MinuteData,
  source: ActivitySource,
  untilMs: number,
): ActivityFields | undefined {
  const counts = source === 'watch' ? data.watchSteps : data.phoneSteps;
  const end = Math.min(counts.length, Math.floor((untilMs - data.dayStart) / MINUTE));
  const kcalPerStep = 0.045 * (person.weightGrams / 1000 / 70);
  let steps = 0;
  let counted = 0;
  let floors = 0;
  const seconds = [0, 0, 0];
  const hr: number[] = [];
  for (let m = 0; m < end; m++) {
    const count = counts[m] ?? -1;
    if (count < 0 || (source === 'phone' && count === 0)) continue;
    counted++;
    steps += count;
    if (count > 0) {
      // Intensity by cadence: soft below 60 steps a minute, moderate below 100, intense above.
      const bucket = count < 60 ? 0 : count < 100 ? 1 : 2;
      seconds[bucket] = (seconds[bucket] ?? 0) + 60;
    }
    if (source === 'watch' && count >= 90 && (m * 7919 + person.seed) % 41 === 0) floors++;
    const bpm = source === 'watch' ? (data.watchHr[m] ?? 0) : 0;
    if (bpm > 0) hr.push(bpm);
  }
  if (counted === 0) return undefined;
  const calories = round3(steps * kcalPerStep);
  const fields: ActivityFields = {
    steps,
    distance: round3((steps * person.strideMm) / 1000),
    elevation: floors,
    soft: seconds[0] ?? 0,
    moderate: seconds[1] ?? 0,
    intense: seconds[2] ?? 0,
    active: (seconds[1] ?? 0) + (seconds[2] ?? 0),
    calories,
    totalcalories: round3((person.bmrKcal * end) / 1440 + calories),
  };
  if (hr.length > 0) {
    const maxHr = 220 - (new Date(data.dayStart).getUTCFullYear() - person.birthYear);
    const zones = [0, 0, 0, 0];
    for (const bpm of hr) {
      const zone = bpm < 0.6 * maxHr ? 0 : bpm < 0.75 * maxHr ? 1 : bpm < 0.9 * maxHr ? 2 : 3;
      zones[zone] = (zones[zone] ?? 0) + 60;
    }
    fields.hr_average = Math.round(hr.reduce((a, b) => a + b, 0) / hr.length);
    fields.hr_min = Math.min(...hr);
    fields.hr_max = Math.max(...hr);
    fields.hr_zone_0 = zones[0] ?? 0;
    fields.hr_zone_1 = zones[1] ?? 0;
    fields.hr_zone_2 = zones[2] ?? 0;
    fields.hr_zone_3 = zones[3] ?? 0;
  }
  return fields;
}

export function activityRow(
  person: PersonProfile,
  date: string,
  source: ActivitySource,
  fields: ActivityFields,
  modifiedSec: number,
): ActivityRow {
  const watch = source === 'watch' ? deviceOf(person, 'watch') : undefined;
  return {
    ...fields,
    deviceid: watch?.deviceid ?? null,
    hash_deviceid: watch?.deviceid ?? null,
    timezone: person.timeZone,
    date,
    modified: modifiedSec,
    brand: watch ? WATCH_BRAND : PHONE_SOURCE.brand,
    modelid: watch ? watch.modelId : PHONE_SOURCE.modelid,
    model: watch ? watch.model : PHONE_SOURCE.model,
    is_tracker: watch !== undefined,
  };
}

/** Whether a phone row exists for the date: phone owners without a watch, and a few watch days too. */
export function phoneRowDelayMinutes(person: PersonProfile, date: string): number | undefined {
  if (!person.phone) return undefined;
  const rng = createRng(hashSeed(person.seed, date, 'withings-phone'));
  // NOTE: a phone day beside a watch day (two rows, one date) happens on ~10% of watch days (docs/withings.md, The sandbox emulator).
  if (person.withings.watch && !rng.chance(0.1)) return undefined;
  return rng.int(60, 360);
}

/** The natural rows of a date as the API shows them at `nowMs` (the watch's today is partial). */
export function naturalActivityRows(
  person: PersonProfile,
  date: string,
  data: () => MinuteData,
  dayEnd: number,
  nowMs: number,
): ActivityRow[] {
  const rows: ActivityRow[] = [];
  if (person.withings.watch) {
    const sync = lastWatchSync(person, nowMs);
    const minutes = data();
    if (sync > minutes.dayStart) {
      const final = firstWatchSyncAfter(person, minutes.dayEnd);
      const fields = aggregate(person, minutes, 'watch', Math.min(sync, minutes.dayEnd));
      const modified = sync >= final ? final : sync;
      if (fields) rows.push(activityRow(person, date, 'watch', fields, Math.floor(modified / 1000)));
    }
  }
  const delay = phoneRowDelayMinutes(person, date);
  if (delay !== undefined && dayEnd + delay * MINUTE <= nowMs) {
    const minutes = data();
    const fields = aggregate(person, minutes, 'phone', minutes.dayEnd);
    if (fields) rows.push(activityRow(person, date, 'phone', fields, Math.floor((dayEnd + delay * MINUTE) / 1000)));
  }
  return rows;
}

/** Intraday entries of the watch, keyed by epoch-second strings, for minutes in [fromMs, toMs) synced by `untilMs`. */
export function intradayEntries(
  person: PersonProfile,
  data: MinuteData,
  fromMs: number,
  toMs: number,
  untilMs: number,
  fields: Set<string> | undefined,
  into: Record<string, Record<string, unknown>>,
): void {
  const watch = deviceOf(person, 'watch');
  if (!watch) return;
  const kcalPerStep = 0.045 * (person.weightGrams / 1000 / 70);
  const want = (name: string) => fields === undefined || fields.has(name);
  for (let m = 0; m < data.watchSteps.length; m++) {
    const t = data.dayStart + m * MINUTE;
    if (t < fromMs || t >= toMs || t + MINUTE > untilMs) continue;
    const steps = data.watchSteps[m] ?? -1;
    const bpm = data.watchHr[m] ?? 0;
    const entry: Record<string, unknown> = {};
    if (steps > 0) {
      if (want('steps')) entry.steps = steps;
      if (want('elevation')) entry.elevation = steps >= 90 && (m * 7919 + person.seed) % 41 === 0 ? 1 : 0;
      if (want('calories')) entry.calories = round3(steps * kcalPerStep);
      if (want('distance')) entry.distance = round3((steps * person.strideMm) / 1000);
      if (want('duration')) entry.duration = 60;
    }
    if (bpm > 0 && want('heart_rate')) entry.heart_rate = bpm;
    if (Object.keys(entry).length === 0) continue;
    into[String(t / 1000)] = { deviceid: watch.deviceid, model: watch.model, model_id: watch.modelId, ...entry };
  }
}
