// What a worn night produces, all owned by the date the person wakes up on: the sleep
// session, SpO2 samples, and the daily types computed from sleep (SpO2, HRV, breathing,
// skin temperature).

import { createRng, hashSeed } from '../lib/prng.ts';
import { durationString, offsetSecondsAt, rfc3339 } from '../lib/time.ts';
import type { DayTruth, PersonProfile, Point } from './model.ts';
import type { Night, StageType } from './plan.ts';

const MINUTE = 60_000;
const STAGE_ORDER: StageType[] = ['LIGHT', 'DEEP', 'REM', 'AWAKE'];

export interface NightOutput {
  points: Point[];
  truth: Partial<DayTruth>;
}

export function nightProducts(
  person: PersonProfile,
  night: Night,
  dayStart: number,
  revision: number,
  withPoints: boolean,
): NightOutput {
  const tz = person.timeZone;
  const rng = createRng(hashSeed(person.seed, night.date, revision, 'night-products'));
  const startOffset = offsetSecondsAt(tz, night.start);
  const endOffset = offsetSecondsAt(tz, night.end);
  const createTime = night.end + rng.int(5, 20) * MINUTE + rng.int(0, 999_999) / 1000;
  const stageMinutes: Record<StageType, number> = { LIGHT: 0, DEEP: 0, REM: 0, AWAKE: 0 };
  const stageCounts: Record<StageType, number> = { LIGHT: 0, DEEP: 0, REM: 0, AWAKE: 0 };
  for (const stage of night.stages) {
    stageMinutes[stage.type] += Math.round((stage.end - stage.start) / MINUTE);
    stageCounts[stage.type] += 1;
  }
  const total = Math.round((night.end - night.start) / MINUTE);
  const asleep = total - stageMinutes.AWAKE;
  const dailyVisibleAt = night.end + 30 * MINUTE;
  const dayOffset = offsetSecondsAt(tz, dayStart);
  const points: Point[] = [];
  const daily = (type: Point['type'], value: number, fields: Record<string, unknown>): void => {
    if (!withPoints) return;
    points.push({
      type,
      source: 'tracker',
      start: dayStart,
      end: dayStart,
      startOffset: dayOffset,
      endOffset: dayOffset,
      visibleAt: dailyVisibleAt,
      value,
      date: night.date,
      fields,
    });
  };

  if (withPoints) {
    points.push({
      type: 'sleep',
      source: 'tracker',
      start: night.start,
      end: night.end,
      startOffset,
      endOffset,
      visibleAt: createTime,
      value: asleep,
      id: night.id,
      fields: {
        type: 'STAGES',
        stages: night.stages.map((stage) => ({
          startTime: rfc3339(stage.start),
          startUtcOffset: durationString(offsetSecondsAt(tz, stage.start)),
          endTime: rfc3339(stage.end),
          endUtcOffset: durationString(offsetSecondsAt(tz, stage.end)),
          type: stage.type,
        })),
        metadata: {
          processed: true,
          mainSleep: true,
          nap: false,
          manuallyEdited: false,
          stagesStatus: 'SUCCEEDED',
        },
        summary: {
          minutesInSleepPeriod: String(total),
          minutesAsleep: String(asleep),
          minutesAwake: String(stageMinutes.AWAKE),
          minutesToFallAsleep: '0',
          minutesAfterWakeUp: '0',
          stagesSummary: STAGE_ORDER.filter((type) => stageCounts[type] > 0).map((type) => ({
            type,
            minutes: String(stageMinutes[type]),
            count: String(stageCounts[type]),
          })),
        },
        createTime: rfc3339(createTime),
        updateTime: rfc3339(createTime + revision * 3_600_000 + 1234.567),
      },
    });
  }

  // SpO2 every five minutes of sleep, as the tracker's nightly readings.
  let sum = 0;
  let sumSq = 0;
  let min = 100;
  let max = 0;
  let count = 0;
  for (let t = night.start; t < night.end; t += 5 * MINUTE) {
    const percentage = Math.round(Math.min(99.9, Math.max(89, rng.normal(96.3, 0.9))) * 10) / 10;
    sum += percentage;
    sumSq += percentage * percentage;
    min = Math.min(min, percentage);
    max = Math.max(max, percentage);
    count++;
    if (withPoints) {
      const offset = offsetSecondsAt(tz, t);
      points.push({
        type: 'oxygen-saturation',
        source: 'tracker',
        start: t,
        end: t,
        startOffset: offset,
        endOffset: offset,
        visibleAt: createTime,
        value: percentage,
      });
    }
  }
  const spo2Avg = Math.round((sum / count) * 10) / 10;
  const spo2Sd = Math.round(Math.sqrt(Math.max(0, sumSq / count - (sum / count) ** 2)) * 100) / 100;
  daily('daily-oxygen-saturation', spo2Avg, {
    averagePercentage: spo2Avg,
    lowerBoundPercentage: min,
    upperBoundPercentage: max,
    standardDeviationPercentage: spo2Sd,
  });

  const hrv = Math.round(Math.max(8, rng.normal(person.hrvMs, person.hrvMs * 0.12)) * 10) / 10;
  daily('daily-heart-rate-variability', hrv, {
    averageHeartRateVariabilityMilliseconds: hrv,
    nonRemHeartRateBeatsPerMinute: String(person.restingHr - rng.int(1, 5)),
    entropy: Math.round(rng.float(1.6, 2.9) * 1000) / 1000,
    deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds:
      Math.round(hrv * rng.float(1.05, 1.3) * 10) / 10,
  });
  const breaths = Math.round(rng.normal(person.breathsPerMinute, 0.4) * 10) / 10;
  daily('daily-respiratory-rate', breaths, { breathsPerMinute: breaths });
  const nightly = Math.round(rng.normal(person.skinTemperatureCelsius, 0.25) * 100) / 100;
  daily('daily-sleep-temperature-derivations', nightly, {
    nightlyTemperatureCelsius: nightly,
    baselineTemperatureCelsius: person.skinTemperatureCelsius,
    relativeNightlyStddev30dCelsius: Math.round(rng.float(0.1, 0.4) * 100) / 100,
  });

  return {
    points,
    truth: {
      sleep: {
        dataPointId: night.id,
        startTime: rfc3339(night.start),
        endTime: rfc3339(night.end),
        minutesInSleepPeriod: total,
        minutesAsleep: asleep,
        minutesAwake: stageMinutes.AWAKE,
        stageMinutes,
      },
      'oxygen-saturation': { avg: sum / count, min, max, count },
      'daily-oxygen-saturation': spo2Avg,
      'daily-heart-rate-variability': hrv,
      'daily-respiratory-rate': breaths,
      'daily-sleep-temperature-derivations': nightly,
    },
  };
}
