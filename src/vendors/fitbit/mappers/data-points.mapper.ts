/**
 * Google Health API `dataPoints` list and `:reconcile` pages -> measurements.
 *
 *   mapDataPoints(pages, { utcOffset }) -> Measurement[]
 *
 * `pages` may be one response or all pages of a sync window: heart-rate samples are windowed per
 * local hour across everything passed in, so pass every page covering those hours together.
 * `utcOffset` is the user's offset for daily records, which carry a civil date and no offset
 * (take it from users/me/settings). Interval types (steps, distance) are daily totals in this project:
 * use mapDailyRollUp, or sumIntervalsByLocalDay on a complete reconcile stream. Types this project does
 * not store (exercise, floors, ...) are skipped.
 */
import { groupHeartRateSamples, type RawHeartRateSample } from '../../../fhir/heart-rate-window.ts';
import { deviceKey } from '../../../fhir/ids.ts';
import { CANONICAL_UNIT, type Measurement, type MeasurementType } from '../../../fhir/measurement.ts';
import { localDateOf, toEpochMs, toLocalIso } from '../../../fhir/time.ts';
import type { CivilDate, DataPoint, ListDataPointsResponse, SampleTime } from './google-health.types.ts';
import { civilDate, dailyBounds, int64, offsetFromDuration, roundTo, toSource } from './parse.ts';
import { mapSleep } from './sleep.mapper.ts';

export interface DailyOffsetContext {
  /** The user's UTC offset, '+05:30', applied to records that carry only a civil date. */
  utcOffset: string;
}

export function mapDataPoints(
  pages: ListDataPointsResponse | readonly ListDataPointsResponse[],
  ctx: DailyOffsetContext,
): Measurement[] {
  const out: Measurement[] = [];
  const heartRate: RawHeartRateSample[] = [];
  for (const page of Array.isArray(pages) ? pages : [pages]) {
    for (const p of (page as ListDataPointsResponse).dataPoints ?? []) {
      if (p.heartRate) {
        const bpm = int64(p.heartRate.beatsPerMinute);
        if (bpm === undefined) continue;
        heartRate.push({
          time: p.heartRate.sampleTime.physicalTime,
          utcOffset: offsetFromDuration(p.heartRate.sampleTime.utcOffset),
          value: bpm,
          source: toSource(p.dataSource),
        });
        continue;
      }
      const m = mapOne(p, ctx);
      if (m) out.push(m);
    }
  }
  return [...out, ...groupHeartRateSamples(heartRate)];
}

function mapOne(p: DataPoint, ctx: DailyOffsetContext): Measurement | undefined {
  if (p.oxygenSaturation)
    return sample('spo2', p.oxygenSaturation.percentage, p.oxygenSaturation.sampleTime, p);
  // NOTE: weight arrives in grams (`weightGrams`, double); the canonical unit is kg (google-health-api.md §5.1).
  if (p.weight) return sample('body_weight', roundTo(p.weight.weightGrams / 1000, 6), p.weight.sampleTime, p);
  if (p.bodyFat) return sample('body_fat', p.bodyFat.percentage, p.bodyFat.sampleTime, p);
  // NOTE: vo2Max is already ml/kg/min (google-health-api.md §5.1).
  if (p.vo2Max) return sample('vo2_max', p.vo2Max.vo2Max, p.vo2Max.sampleTime, p);
  if (p.sleep) return mapSleep(p.sleep, p);

  const rhr = p.dailyRestingHeartRate;
  if (rhr) return daily('resting_heart_rate', int64(rhr.beatsPerMinute), rhr.date, p, ctx);
  const spo2 = p.dailyOxygenSaturation;
  if (spo2) return daily('spo2', spo2.averagePercentage, spo2.date, p, ctx);
  const hrv = p.dailyHeartRateVariability;
  // NOTE: Fitbit's daily HRV is an RMSSD in ms ("root mean square of successive differences", API docs).
  if (hrv) return daily('hrv_rmssd', hrv.averageHeartRateVariabilityMilliseconds, hrv.date, p, ctx);
  const rr = p.dailyRespiratoryRate;
  if (rr) return daily('respiratory_rate', rr.breathsPerMinute, rr.date, p, ctx);
  const temp = p.dailySleepTemperatureDerivations;
  if (temp) {
    // NOTE: the deviation is derived: nightly minus 30-day baseline; it is not a field (google-health-api.md §5.1).
    const { nightlyTemperatureCelsius: nightly, baselineTemperatureCelsius: baseline } = temp;
    const deviation =
      nightly !== undefined && baseline !== undefined ? roundTo(nightly - baseline, 3) : undefined;
    return daily('skin_temperature_deviation', deviation, temp.date, p, ctx);
  }
  const vo2 = p.dailyVo2Max;
  if (vo2) return daily('vo2_max', vo2.vo2Max, vo2.date, p, ctx);
  return undefined;
}

function sample(type: MeasurementType, value: number, st: SampleTime, p: DataPoint): Measurement {
  const offset = offsetFromDuration(st.utcOffset);
  const time = toLocalIso(toEpochMs(st.physicalTime), offset);
  const source = toSource(p.dataSource);
  return {
    type,
    value,
    unit: CANONICAL_UNIT[type],
    start: time,
    end: time,
    utcOffset: offset,
    localDate: localDateOf(time, offset),
    source,
    // NOTE: points without a `name` are keyed on the source timestamp and device (google-health-api.md §11).
    vendorKey:
      p.name ??
      p.dataPointName ??
      `${type}|${st.physicalTime}|${deviceKey(source) ?? source.platform ?? '-'}`,
    daily: false,
  };
}

function daily(
  type: MeasurementType,
  value: number | undefined,
  date: CivilDate,
  p: DataPoint,
  ctx: DailyOffsetContext,
): Measurement | undefined {
  if (value === undefined) return undefined;
  return dailyMeasurement(type, value, civilDate(date), ctx.utcOffset, toSource(p.dataSource));
}

/** A daily aggregate for `localDate`; its key is type + date, whichever endpoint it came from. */
export function dailyMeasurement(
  type: MeasurementType,
  value: number,
  localDate: string,
  utcOffset: string,
  source: Measurement['source'],
): Measurement {
  const { start, end } = dailyBounds(localDate, utcOffset);
  return {
    type,
    value,
    unit: CANONICAL_UNIT[type],
    start,
    end,
    utcOffset,
    localDate,
    source,
    vendorKey: `${type}|${localDate}`,
    daily: true,
  };
}
