// Generates one local day of a person: per-minute steps (tracker and phone), distance,
// active energy and heart rate while worn, the scale's morning weigh-in, resting heart
// rate, and the products of the night that ends this morning. With `withPoints: false`
// only the ground truth is computed, which is what makes 100 people x 30 days cheap.

import { createRng, hashSeed, numericId, type Rng } from '../lib/prng.ts';
import { addDays, daysBetween, offsetSecondsAt, startOfLocalDay } from '../lib/time.ts';
import type { DayData, DayTruth, PersonProfile, Point } from './model.ts';
import { nightProducts } from './night-products.ts';
import { dayKindOf, type Night, nightFor, type RevisionOf, stageAt } from './plan.ts';

const MINUTE = 60_000;
const STAGE_HR: Record<string, number> = { DEEP: -5, LIGHT: -2, REM: 2, AWAKE: 6 };

export function generateDay(
  person: PersonProfile,
  date: string,
  revisionOf: RevisionOf,
  withPoints: boolean,
): DayData {
  const tz = person.timeZone;
  const revision = revisionOf(date);
  const dayStart = startOfLocalDay(tz, date);
  const dayEnd = startOfLocalDay(tz, addDays(date, 1));
  const minutes = Math.round((dayEnd - dayStart) / MINUTE);
  const offsetAt = offsetFunction(tz, dayStart, dayEnd);
  const utcMidnight = Date.parse(`${date}T00:00:00Z`);
  const wallMinute = (m: number) => {
    const t = dayStart + m * MINUTE;
    return Math.floor((t + offsetAt(t) * 1000 - utcMidnight) / MINUTE);
  };
  const kind = dayKindOf(person, date, revision);
  const rng = createRng(hashSeed(person.seed, date, revision, 'day'));
  const nights = [nightFor(person, date, revisionOf), nightFor(person, addDays(date, 1), revisionOf)];
  const nightOf = nightIndex(nights, minutes, dayStart);

  const worn = wearMask(rng, kind, nights, nightOf, wallMinute);
  const { steps, phoneSteps } = walking(rng, person, kind, nightOf, wallMinute);

  const points: Point[] = [];
  const truth: DayTruth = { date, wornMinutes: 0 };
  let stepSum = 0;
  let stepPoints = 0;
  let distanceSum = 0;
  let activeSum = 0;
  let activePoints = 0;
  let hrSum = 0;
  let hrMin = Number.POSITIVE_INFINITY;
  let hrMax = 0;
  let hrCount = 0;
  const weightKg = person.weightGrams / 1000;

  // Hot loop: nothing here is captured by a closure, so numbers stay unboxed.
  const interval = withPoints ? pushInterval : skip;
  for (let m = 0; m < minutes; m++) {
    const t = dayStart + m * MINUTE;
    const off = offsetAt(t);
    const endOff = offsetAt(t + MINUTE);
    const count = steps[m] ?? 0;
    const phone = phoneSteps[m] ?? 0;
    if (phone > 0) interval(points, 'steps', 'phone', t, off, endOff, phone);
    if (!worn[m]) {
      // NOTE: reconcile prefers the wrist device; the phone fills minutes it was off (§3.4 reconcile).
      if (phone > 0) {
        stepSum += phone;
        stepPoints++;
      }
      continue;
    }
    truth.wornMinutes++;
    stepSum += count;
    stepPoints++;
    interval(points, 'steps', 'tracker', t, off, endOff, count);
    const mm = Math.round(count * person.strideMm);
    distanceSum += mm;
    interval(points, 'distance', 'tracker', t, off, endOff, mm);
    if (count > 0) {
      const kcal = Math.round(count * 0.045 * (weightKg / 70) * 1000) / 1000;
      activeSum += kcal;
      activePoints++;
      interval(points, 'active-energy-burned', 'tracker', t, off, endOff, kcal);
    }
    const nightNo = nightOf[m] ?? -1;
    const stage = nightNo >= 0 ? stageAt(nights[nightNo] as Night, t) : undefined;
    const hour = wallMinute(m) / 60;
    const base = stage
      ? person.restingHr + (STAGE_HR[stage] ?? 0) + rng.normal(0, 1.5)
      : person.restingHr +
        9 +
        3 * Math.sin(((hour - 9) / 24) * 2 * Math.PI) +
        Math.min(70, count / 2.2) +
        rng.normal(0, 3);
    const bpm = Math.round(Math.min(195, Math.max(38, base)));
    hrSum += bpm;
    hrMin = Math.min(hrMin, bpm);
    hrMax = Math.max(hrMax, bpm);
    hrCount++;
    // Drawn even when points are skipped, so truth-only and full runs stay identical.
    const sampleTime = t + rng.int(0, 59) * 1000;
    if (withPoints) {
      points.push({
        type: 'heart-rate',
        source: 'tracker',
        start: sampleTime,
        end: sampleTime,
        startOffset: off,
        endOffset: off,
        visibleAt: sampleTime,
        value: bpm,
      });
    }
  }

  if (stepPoints > 0) truth.steps = stepSum;
  if (truth.wornMinutes > 0) truth.distance = distanceSum;
  if (activePoints > 0) truth['active-energy-burned'] = Math.round(activeSum * 1000) / 1000;
  truth['total-calories'] = Math.round(((person.bmrKcal * minutes) / 1440 + activeSum) * 1000) / 1000;
  if (hrCount > 0) truth['heart-rate'] = { avg: hrSum / hrCount, min: hrMin, max: hrMax, count: hrCount };

  const tonight = nights[0];
  if (tonight?.worn) {
    const products = nightProducts(person, tonight, dayStart, revision, withPoints);
    points.push(...products.points);
    Object.assign(truth, products.truth);
  }
  const dayOffset = offsetAt(dayStart);
  if (tonight?.worn || truth.wornMinutes >= 360) {
    const rhr = Math.round(rng.normal(person.restingHr, 1.5));
    truth['daily-resting-heart-rate'] = rhr;
    if (withPoints) {
      points.push({
        type: 'daily-resting-heart-rate',
        source: 'tracker',
        start: dayStart,
        end: dayStart,
        startOffset: dayOffset,
        endOffset: dayOffset,
        visibleAt: tonight?.worn ? tonight.end + 60 * MINUTE : Math.min(dayEnd, dayStart + 18 * 3_600_000),
        value: rhr,
        date,
        fields: {
          beatsPerMinute: String(rhr),
          dailyRestingHeartRateMetadata: {
            calculationMethod: tonight?.worn ? 'WITH_SLEEP' : 'ONLY_WITH_AWAKE_DATA',
          },
        },
      });
    }
  }
  weighIn(person, date, revision, tonight?.end ?? dayStart + 7 * 3_600_000, points, truth, withPoints);
  return { date, dayStart, dayEnd, points: groupByType(points), truth };
}

function pushInterval(
  points: Point[],
  type: Point['type'],
  source: Point['source'],
  t: number,
  startOffset: number,
  endOffset: number,
  value: number,
): void {
  points.push({
    type,
    source,
    start: t,
    end: t + MINUTE,
    startOffset,
    endOffset,
    visibleAt: t + MINUTE,
    value,
  });
}

function skip(): void {}

function offsetFunction(tz: string, dayStart: number, dayEnd: number): (t: number) => number {
  const first = offsetSecondsAt(tz, dayStart);
  const last = offsetSecondsAt(tz, dayEnd);
  if (first === last) return () => first;
  // A DST switch inside the day: find the first minute already on the new offset.
  let low = dayStart / MINUTE;
  let high = dayEnd / MINUTE;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (offsetSecondsAt(tz, mid * MINUTE) === last) high = mid;
    else low = mid + 1;
  }
  const switchAt = low * MINUTE;
  return (t) => (t < switchAt ? first : last);
}

/** Per minute: index into `nights` of the night the person is asleep in, or -1 when awake. */
function nightIndex(nights: Night[], minutes: number, dayStart: number): Int8Array {
  const index = new Int8Array(minutes).fill(-1);
  nights.forEach((night, i) => {
    const from = Math.max(0, Math.ceil((night.start - dayStart) / MINUTE));
    const to = Math.min(minutes, Math.ceil((night.end - dayStart) / MINUTE));
    for (let m = from; m < to; m++) index[m] = i;
  });
  return index;
}

function wearMask(
  rng: Rng,
  kind: string,
  nights: Night[],
  nightOf: Int8Array,
  wallMinute: (m: number) => number,
): Uint8Array {
  const worn = new Uint8Array(nightOf.length);
  if (kind === 'no-wear') return worn;
  const charging = rng.chance(0.7) ? [rng.int(18 * 60, 21 * 60), rng.int(30, 75)] : undefined;
  const shower = rng.chance(0.8) ? [rng.int(6 * 60 + 30, 9 * 60), rng.int(10, 20)] : undefined;
  const inGap = (gap: number[] | undefined, wall: number) =>
    gap !== undefined && wall >= (gap[0] ?? 0) && wall < (gap[0] ?? 0) + (gap[1] ?? 0);
  for (let m = 0; m < nightOf.length; m++) {
    const nightNo = nightOf[m] ?? -1;
    if (nightNo >= 0) {
      worn[m] = nights[nightNo]?.worn ? 1 : 0;
      continue;
    }
    const wall = wallMinute(m);
    worn[m] = inGap(charging, wall) || inGap(shower, wall) ? 0 : 1;
  }
  return worn;
}

function hourWeight(hour: number): number {
  if ((hour >= 7 && hour < 9) || (hour >= 17 && hour < 19)) return 3;
  if (hour >= 12 && hour < 14) return 2.5;
  if (hour >= 9 && hour < 22) return 1;
  return 0.2;
}

/** What the person actually walked each minute, and what the phone in their pocket counted. */
function walking(
  rng: Rng,
  person: PersonProfile,
  kind: string,
  nightOf: Int8Array,
  wallMinute: (m: number) => number,
): { steps: Int32Array; phoneSteps: Int32Array } {
  const minutes = nightOf.length;
  const steps = new Int32Array(minutes);
  const phoneSteps = new Int32Array(minutes);
  if (kind === 'sick') return { steps, phoneSteps };
  const awake = (m: number) => m >= 0 && m < minutes && nightOf[m] === -1;
  const hasPhone = person.phone !== undefined;
  let total = 0;
  for (let m = 0; m < minutes; m++) {
    if (!awake(m) || !rng.chance(0.22)) continue;
    const count = rng.int(2, 28);
    steps[m] = count;
    total += count;
    if (hasPhone && rng.chance(0.4)) phoneSteps[m] = Math.round(count * 0.92);
  }
  const target = person.stepsTarget * rng.float(0.55, 1.45);
  for (let bouts = 0; total < target && bouts < 60; bouts++) {
    let start = -1;
    for (let tries = 0; tries < 60 && start < 0; tries++) {
      const m = rng.int(0, minutes - 1);
      if (awake(m) && rng.next() * 3 < hourWeight(wallMinute(m) / 60)) start = m;
    }
    if (start < 0) break;
    const length = rng.int(5, 35);
    const cadence = rng.int(95, 125);
    const carried = hasPhone && rng.chance(0.8);
    for (let m = start; m < start + length && awake(m); m++) {
      const count = cadence + rng.int(-8, 8);
      total += count - (steps[m] ?? 0);
      steps[m] = count;
      phoneSteps[m] = carried ? Math.round(count * 0.92) : 0;
    }
  }
  return { steps, phoneSteps };
}

/** The person's weight trend on a date, before the day's noise (grams). */
export function weightTrendGrams(person: PersonProfile, date: string): number {
  const slope = createRng(hashSeed(person.seed, 'weight-trend')).float(-25, 25);
  return person.weightGrams + slope * daysBetween(person.firstDate, date);
}

export interface ScaleReading {
  grams: number;
  fat: number;
  /** Epoch ms of the weigh-in. */
  time: number;
  weightId: string;
  fatId: string;
}

/** The Fitbit scale's morning weigh-in on a date (about 60% of mornings), if the person owns one. */
export function scaleReading(
  person: PersonProfile,
  date: string,
  revision: number,
  wakeTime: number,
): ScaleReading | undefined {
  if (!person.scale) return undefined;
  const rng = createRng(hashSeed(person.seed, date, revision, 'scale'));
  if (!rng.chance(0.6)) return undefined;
  const grams = Math.round((weightTrendGrams(person, date) + rng.normal(0, 350)) * 10) / 10;
  const fat = Math.round(rng.normal(person.bodyFatPercentage, 0.4) * 10) / 10;
  const time = wakeTime + rng.int(10, 45) * MINUTE + rng.int(0, 59) * 1000;
  return { grams, fat, time, weightId: numericId(rng), fatId: numericId(rng) };
}

function weighIn(
  person: PersonProfile,
  date: string,
  revision: number,
  wakeTime: number,
  points: Point[],
  truth: DayTruth,
  withPoints: boolean,
): void {
  const reading = scaleReading(person, date, revision, wakeTime);
  if (!reading) return;
  const t = reading.time;
  const offset = offsetSecondsAt(person.timeZone, t);
  truth.weight = reading.grams;
  truth['body-fat'] = reading.fat;
  if (!withPoints) return;
  const base = {
    source: 'scale' as const,
    start: t,
    end: t,
    startOffset: offset,
    endOffset: offset,
    visibleAt: t,
  };
  points.push({ ...base, type: 'weight', value: reading.grams, id: reading.weightId });
  points.push({ ...base, type: 'body-fat', value: reading.fat, id: reading.fatId });
}

function groupByType(points: Point[]): DayData['points'] {
  const grouped: DayData['points'] = new Map();
  for (const point of points) {
    let list = grouped.get(point.type);
    if (!list) {
      list = [];
      grouped.set(point.type, list);
    }
    list.push(point);
  }
  for (const list of grouped.values()) list.sort((a, b) => a.start - b.start);
  return grouped;
}
