/**
 * Daily totals: `:dailyRollUp` responses, and interval streams summed per local day.
 *
 *   mapDailyRollUp(pages, { utcOffset })      -> steps / distance / calories daily measurements
 *   sumIntervalsByLocalDay(pages)             -> steps / distance daily measurements from list or
 *                                                reconcile pages (pass complete days: a partial day
 *                                                would overwrite the stored total with a partial sum)
 *
 * Rollup windows are civil days with no offset, hence `utcOffset` (the user's, from settings).
 * A window without the union field had no data and is skipped (google-health-api.md §5.2).
 */
import type { Measurement, MeasurementType } from '../../../fhir/measurement.ts';
import { localDateOf, toEpochMs } from '../../../fhir/time.ts';
import { type DailyOffsetContext, dailyMeasurement } from './data-points.mapper.ts';
import type { DailyRollUpResponse, ListDataPointsResponse } from './google-health.types.ts';
import { civilDate, int64, offsetFromDuration, roundTo, VENDOR } from './parse.ts';

export function mapDailyRollUp(
  pages: DailyRollUpResponse | readonly DailyRollUpResponse[],
  ctx: DailyOffsetContext,
): Measurement[] {
  const out: Measurement[] = [];
  for (const page of Array.isArray(pages) ? pages : [pages]) {
    for (const w of (page as DailyRollUpResponse).rollupDataPoints ?? []) {
      const date = civilDate(w.civilStartTime.date);
      const add = (type: MeasurementType, value: number | undefined) => {
        if (value !== undefined)
          out.push(dailyMeasurement(type, value, date, ctx.utcOffset, { vendor: VENDOR }));
      };
      if (w.steps) add('steps', int64(w.steps.countSum));
      // NOTE: distance is in millimeters (int64); canonical unit m (google-health-api.md §5.1, §5.2).
      if (w.distance) add('distance', mm(int64(w.distance.millimetersSum)));
      // NOTE: total-calories is rollup-only (`kcalSum`, double, kcal); list gives 400 (google-health-api.md §4).
      if (w.totalCalories) add('calories', w.totalCalories.kcalSum);
    }
  }
  return out.sort((a, b) => a.localDate.localeCompare(b.localDate) || a.type.localeCompare(b.type));
}

export function sumIntervalsByLocalDay(
  pages: ListDataPointsResponse | readonly ListDataPointsResponse[],
): Measurement[] {
  const days = new Map<string, { type: MeasurementType; date: string; offset: string; sum: number }>();
  for (const page of Array.isArray(pages) ? pages : [pages]) {
    for (const p of (page as ListDataPointsResponse).dataPoints ?? []) {
      const interval = p.steps?.interval ?? p.distance?.interval;
      if (!interval) continue;
      const type: MeasurementType = p.steps ? 'steps' : 'distance';
      const value = p.steps ? (int64(p.steps.count) ?? 0) : (int64(p.distance?.millimeters) ?? 0);
      const offset = offsetFromDuration(interval.startUtcOffset);
      const date = localDateOf(toEpochMs(interval.startTime), offset);
      const key = `${type}|${date}`;
      const day = days.get(key) ?? { type, date, offset, sum: 0 };
      day.sum += value;
      days.set(key, day);
    }
  }
  return [...days.values()]
    .map((d) =>
      dailyMeasurement(d.type, d.type === 'distance' ? (mm(d.sum) ?? 0) : d.sum, d.date, d.offset, {
        vendor: VENDOR,
      }),
    )
    .sort((a, b) => a.localDate.localeCompare(b.localDate) || a.type.localeCompare(b.type));
}

function mm(millimeters: number | undefined): number | undefined {
  return millimeters === undefined ? undefined : roundTo(millimeters / 1000, 3);
}
