// dataPoints:dailyRollUp and dataPoints:rollUp (docs/google-health.md §3.1, §5.2): civil half-open
// windows (or physical ones), the 14/90-day caps, the reconciled stream (no double
// counting of phone and tracker), and windows without data left without the union field.

import type { DataTypeInfo } from '../catalog.ts';
import { invalidArgument } from '../lib/errors.ts';
import {
  addDays,
  type CivilDateTime,
  civilDateTimeAt,
  civilStringAt,
  DAY_MS,
  localMinuteToInstant,
  parseRfc3339,
  rfc3339,
  startOfLocalDay,
} from '../lib/time.ts';
import type { PersonProfile, Point } from '../people/model.ts';
import type { PeopleStore } from '../people/people.ts';
import { selectPoints, sourcesForFamily } from './list.ts';

type Json = Record<string, unknown>;

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** Rollup value per type (DISC *RollupValue, §5.2); undefined when the window has no data. */
function rollupValue(type: DataTypeInfo, points: Point[], bmrKcal: number): [string, Json] | undefined {
  const sum = points.reduce((total, p) => total + p.value, 0);
  if (type.id === 'total-calories')
    return bmrKcal > 0 || points.length ? ['totalCalories', { kcalSum: round3(bmrKcal + sum) }] : undefined;
  if (points.length === 0) return undefined;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    min = Math.min(min, p.value);
    max = Math.max(max, p.value);
  }
  switch (type.id) {
    case 'steps':
      return ['steps', { countSum: String(sum) }];
    case 'distance':
      return ['distance', { millimetersSum: String(sum) }];
    case 'active-energy-burned':
      return ['activeEnergyBurned', { kcalSum: round3(sum) }];
    case 'heart-rate':
      return [
        'heartRate',
        { beatsPerMinuteAvg: sum / points.length, beatsPerMinuteMin: min, beatsPerMinuteMax: max },
      ];
    case 'weight':
      return ['weight', { weightGramsAvg: sum / points.length }];
    case 'body-fat':
      return ['bodyFat', { bodyFatPercentageAvg: sum / points.length }];
    case 'daily-resting-heart-rate':
      return [
        'restingHeartRatePersonalRange',
        { beatsPerMinuteMin: String(min), beatsPerMinuteMax: String(max) },
      ];
    default:
      return undefined;
  }
}

/** Points of the type for the whole query range, reconciled, oldest first. */
function loadPoints(
  people: PeopleStore,
  person: PersonProfile,
  type: DataTypeInfo,
  family: unknown,
  fromMs: number,
  toMs: number,
) {
  const sources = sourcesForFamily(type, typeof family === 'string' ? family : undefined);
  const dataType: DataTypeInfo =
    type.id === 'total-calories' ? { ...type, id: 'active-energy-burned' } : type;
  const points = selectPoints(people, person, dataType, sources, fromMs, toMs, () => true, true);
  return points.reverse();
}

/** BMR share of a physical span, limited to when the person has data and to now. */
function bmrKcal(person: PersonProfile, fromMs: number, toMs: number, nowMs: number): number {
  const first = startOfLocalDay(person.timeZone, person.firstDate);
  const minutes = Math.max(0, (Math.min(toMs, nowMs) - Math.max(fromMs, first)) / 60_000);
  return (person.bmrKcal / 1440) * Math.floor(minutes);
}

function checkRange(type: DataTypeInfo, days: number, operation: string): void {
  const cap = type.dailyRollUpMaxDays;
  if (!cap) {
    throw invalidArgument(
      `${operation} is not supported for data type ${type.id}, but the following actions are supported: list, reconcile`,
    );
  }
  // NOTE: 14 days for total-calories, heart-rate, active-minutes, calories-in-heart-rate-zone; 90 otherwise (§5.2).
  if (days > cap)
    throw invalidArgument(`The requested range exceeds the maximum of ${cap} days for data type ${type.id}.`);
}

function parseCivilDateTime(value: unknown, field: string): string {
  if (!value || typeof value !== 'object') throw invalidArgument(`Invalid value at '${field}'`);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    // NOTE: a bare {year,month,day} is rejected live; it must be nested under "date" (§5.2).
    if (key !== 'date' && key !== 'time') {
      throw invalidArgument(
        `Invalid JSON payload received. Unknown name "${key}" at '${field}': Cannot find field.`,
      );
    }
  }
  const date = record.date as Record<string, unknown> | undefined;
  const time = (record.time ?? {}) as Record<string, unknown>;
  const num = (v: unknown, def: number) =>
    v === undefined ? def : typeof v === 'number' && Number.isInteger(v) ? v : Number.NaN;
  const [y, mo, d] = [num(date?.year, Number.NaN), num(date?.month, Number.NaN), num(date?.day, Number.NaN)];
  const [h, mi, s] = [num(time.hours, 0), num(time.minutes, 0), num(time.seconds, 0)];
  const text = `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  const valid =
    Date.UTC(y, mo - 1, d) === Date.parse(`${text}T00:00:00Z`) &&
    h >= 0 &&
    h < 24 &&
    mi >= 0 &&
    mi < 60 &&
    s >= 0 &&
    s < 60;
  if (!valid) throw invalidArgument(`Invalid value at '${field}.date'`);
  return `${text}T${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

function civilJson(civil: string): CivilDateTime {
  return civilDateTimeAt(Date.parse(`${civil}Z`), 0);
}

function civilToInstant(person: PersonProfile, civil: string): number {
  const minutes = Number(civil.slice(11, 13)) * 60 + Number(civil.slice(14, 16));
  return (
    localMinuteToInstant(person.timeZone, civil.slice(0, 10), minutes) + Number(civil.slice(17, 19)) * 1000
  );
}

export function dailyRollUp(
  people: PeopleStore,
  person: PersonProfile,
  type: DataTypeInfo,
  body: Json,
  nowMs: number,
): Json {
  const range = body.range as Record<string, unknown> | undefined;
  if (!range || typeof range !== 'object') throw invalidArgument("Missing required field 'range'.");
  const start = parseCivilDateTime(range.start, 'range.start');
  const end = parseCivilDateTime(range.end, 'range.end');
  // NOTE: documented as optional, but the live API answered 400 without windowSizeDays (§5.2, 3P Go CLI).
  const windowDays = body.windowSizeDays;
  if (typeof windowDays !== 'number' || !Number.isInteger(windowDays) || windowDays < 1) {
    throw invalidArgument('windowSizeDays must be a positive integer.');
  }
  if (end <= start) throw invalidArgument('range.end must be after range.start.');
  const days = (Date.parse(`${end}Z`) - Date.parse(`${start}Z`)) / DAY_MS;
  checkRange(type, days, 'DailyRollUp');
  const fromMs = civilToInstant(person, start);
  const toMs = civilToInstant(person, end);
  const points = type.simulated ? loadPoints(people, person, type, body.dataSourceFamily, fromMs, toMs) : [];
  const bounds: string[] = [];
  for (let ws = start; ws < end; ) {
    bounds.push(ws);
    const next = `${addDays(ws.slice(0, 10), windowDays)}${ws.slice(10)}`;
    ws = next < end ? next : end;
  }
  // One pass: each point goes to the window holding its civil start time.
  const buckets: Point[][] = bounds.map(() => []);
  for (const p of points) {
    const civil = civilStringAt(p.start, p.startOffset);
    if (civil < start || civil >= end) continue;
    let low = 0;
    let high = bounds.length - 1;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if ((bounds[mid] ?? '') <= civil) low = mid;
      else high = mid - 1;
    }
    buckets[low]?.push(p);
  }
  const windows = bounds.map((ws, i) => {
    const we = bounds[i + 1] ?? end;
    const bmr =
      type.id === 'total-calories'
        ? bmrKcal(person, civilToInstant(person, ws), civilToInstant(person, we), nowMs)
        : 0;
    const window: Json = { civilStartTime: civilJson(ws), civilEndTime: civilJson(we) };
    const value = type.simulated ? rollupValue(type, buckets[i] ?? [], bmr) : undefined;
    if (value) window[value[0]] = value[1];
    return window;
  });
  return { rollupDataPoints: windows };
}

export function rollUp(
  people: PeopleStore,
  person: PersonProfile,
  type: DataTypeInfo,
  body: Json,
  nowMs: number,
): Json {
  const range = body.range as Record<string, unknown> | undefined;
  const fromMs = typeof range?.startTime === 'string' ? parseRfc3339(range.startTime) : undefined;
  const toMs = typeof range?.endTime === 'string' ? parseRfc3339(range.endTime) : undefined;
  if (fromMs === undefined) throw invalidArgument("Invalid value at 'range.start_time'");
  if (toMs === undefined) throw invalidArgument("Invalid value at 'range.end_time'");
  const windowMatch = typeof body.windowSize === 'string' ? /^(\d+)(?:\.\d+)?s$/.exec(body.windowSize) : null;
  const windowMs = windowMatch ? Number(windowMatch[1]) * 1000 : 0;
  if (windowMs < 1000) throw invalidArgument("Invalid value at 'window_size': must be at least 1s.");
  if (toMs <= fromMs) throw invalidArgument('range.end_time must be after range.start_time.');
  checkRange(type, (toMs - fromMs) / DAY_MS, 'RollUp');
  if ((toMs - fromMs) / windowMs > 10_000)
    throw invalidArgument('Too many windows; use a larger windowSize.');
  const points = type.simulated ? loadPoints(people, person, type, body.dataSourceFamily, fromMs, toMs) : [];
  const windows: Json[] = [];
  let index = 0;
  for (let ws = fromMs; ws < toMs; ws += windowMs) {
    const we = Math.min(ws + windowMs, toMs);
    while (index < points.length && (points[index]?.start ?? 0) < ws) index++;
    const inWindow: Point[] = [];
    for (let i = index; i < points.length && (points[i]?.start ?? 0) < we; i++)
      inWindow.push(points[i] as Point);
    const bmr = type.id === 'total-calories' ? bmrKcal(person, ws, we, nowMs) : 0;
    const window: Json = { startTime: rfc3339(ws), endTime: rfc3339(we) };
    const value = type.simulated ? rollupValue(type, inWindow, bmr) : undefined;
    if (value) window[value[0]] = value[1];
    windows.push(window);
  }
  return { rollupDataPoints: windows };
}
