/**
 * Withings sleep `getsummary` series -> one sleep session each, plus the night's breathing and
 * heart rate when the summary has them.
 *
 *   mapSleepSummaries(body, { userId, fallbackZone? }) -> { measurements, skipped }
 *
 * - sleep: startdate..enddate in the offset `timezone` has when the sleep ends; value =
 *   total_sleep_time in minutes (else asleepduration, which nights from an external source carry
 *   instead of stages); components light / deep / rem / awake (wakeupduration) in minutes, or
 *   `asleep` when the stages are null. It belongs to the local date it ends on, as Withings' own
 *   `date` (and Google's sleep) does; naps and split nights are separate sessions on that date.
 * - respiratory_rate: rr_average as a daily value of that date, like Google's daily respiratory
 *   rate (measured in sleep, dated by the morning).
 * - heart_rate: hr_average over the session (effectivePeriod), dated by its start like every
 *   heart-rate window. A zero average means no data.
 * - Key: `<userid>:sleep:<id>` (+ `:respiratory_rate`, `:heart_rate`); Withings revises summaries
 *   for weeks, and each revision updates the same Observations.
 */
import {
  CANONICAL_UNIT,
  localDateFor,
  type Measurement,
  type MeasurementType,
  type SleepStage,
} from '../../../fhir/measurement.ts';
import { DAY_MS, localDayStartMs, toLocalIso } from '../../../fhir/time.ts';
import { modelName } from './catalog.ts';
import {
  amount,
  checkedUserId,
  emptyResult,
  epochSeconds,
  idText,
  localTimeIn,
  MANUFACTURER,
  skip,
  VENDOR,
  type WithingsMapContext,
  type WithingsMapResult,
  zoneOf,
} from './parse.ts';
import type { GetSleepSummaryBody, SleepSummary, SleepSummaryData } from './withings.types.ts';

// NOTE: every duration in a summary is in seconds (docs/withings.md "Mapping to FHIR").
const STAGE_FIELDS: readonly [keyof SleepSummaryData, SleepStage][] = [
  ['lightsleepduration', 'light'],
  ['deepsleepduration', 'deep'],
  ['remsleepduration', 'rem'],
];

export function mapSleepSummaries(body: GetSleepSummaryBody, ctx: WithingsMapContext): WithingsMapResult {
  const userId = checkedUserId(ctx);
  const result = emptyResult();
  for (const series of body.series ?? []) {
    const id = idText(series.id);
    const startS = epochSeconds(series.startdate);
    const endS = epochSeconds(series.enddate);
    if (id === undefined || startS === undefined || endS === undefined || endS <= startS) {
      skip(result, 'invalid');
      continue;
    }
    const data = series.data ?? {};
    const minutes = sleepMinutes(data);
    if (minutes === undefined) {
      skip(result, 'incomplete');
      continue;
    }
    const zone = zoneOf(series.timezone, ctx);
    const { time: end, offset } = localTimeIn(zone, endS);
    const start = toLocalIso(startS * 1000, offset);
    const source = sourceOf(series);
    const key = `${userId}:sleep:${id}`;
    const session = (type: MeasurementType, value: number): Measurement => ({
      type,
      value,
      unit: CANONICAL_UNIT[type],
      start,
      end,
      utcOffset: offset,
      localDate: localDateFor(type, start, end, offset),
      source,
      vendorKey: type === 'sleep' ? key : `${key}:${type}`,
      daily: false,
    });
    const sleep = { ...session('sleep', minutes), components: stageMinutes(data) };
    result.measurements.push(sleep);

    const rr = positive(data.rr_average);
    if (rr !== undefined) {
      const dayStart = localDayStartMs(sleep.localDate, offset);
      result.measurements.push({
        ...session('respiratory_rate', rr),
        start: toLocalIso(dayStart, offset),
        end: toLocalIso(dayStart + DAY_MS, offset),
        localDate: sleep.localDate,
        daily: true,
      });
    }
    const hr = positive(data.hr_average);
    if (hr !== undefined) result.measurements.push(session('heart_rate', hr));
  }
  return result;
}

/** Minutes asleep: total_sleep_time, else asleepduration, else the staged sleep summed. */
function sleepMinutes(data: SleepSummaryData): number | undefined {
  const total = amount(data.total_sleep_time) ?? amount(data.asleepduration);
  if (total !== undefined) return total / 60;
  const staged = STAGE_FIELDS.map(([field]) => amount(data[field])).filter((s) => s !== undefined);
  return staged.length > 0 ? staged.reduce((a, b) => a + b, 0) / 60 : undefined;
}

function stageMinutes(data: SleepSummaryData): Partial<Record<SleepStage, number>> {
  const out: Partial<Record<SleepStage, number>> = {};
  for (const [field, stage] of STAGE_FIELDS) {
    const seconds = amount(data[field]);
    if (seconds !== undefined) out[stage] = seconds / 60;
  }
  // NOTE: a night from an external source has no stages, only asleepduration (docs/withings.md "Mapping to FHIR").
  const asleep = amount(data.asleepduration);
  if (Object.keys(out).length === 0 && asleep !== undefined) out.asleep = asleep / 60;
  const awake = amount(data.wakeupduration);
  if (awake !== undefined) out.awake = awake / 60;
  return out;
}

function positive(value: unknown): number | undefined {
  const n = amount(value);
  return n !== undefined && n > 0 ? n : undefined;
}

function sourceOf(series: SleepSummary): Measurement['source'] {
  const deviceId = idText(series.hash_deviceid);
  // `model` is a device class here (16 tracker, 32 sleep monitor), not a name: only model_id names it.
  const deviceName = modelName(undefined, series.model_id);
  return {
    vendor: VENDOR,
    ...(deviceId ? { deviceId } : {}),
    ...(deviceName ? { deviceName } : {}),
    ...(deviceId || deviceName ? { manufacturer: MANUFACTURER } : {}),
  };
}
