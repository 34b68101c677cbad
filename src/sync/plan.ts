/**
 * What to fetch for each data type, and over which local dates. Pure: no I/O, no clock.
 *
 *   TYPE_SPECS.steps                      -> { dataType: 'steps', kind: 'rollup', chunkDays: 90 }
 *   planType(spec, { today, cursor, ... }) -> { start, end } local dates (inclusive)
 *   chunksOf({ start, end }, days)        -> oldest-first ranges of at most `days` dates
 *   addDays(date, n), midnightIn(zone, date), offsetOn(zone, date)   (zone lookups: src/fhir/zones.ts)
 */
import { MEASUREMENT_TYPES, type MeasurementType } from '../fhir/measurement.ts';
import { formatOffset } from '../fhir/time.ts';
import { zoneOffsetAt } from '../fhir/zones.ts';
import { dailyRollUpCapDays } from '../vendors/fitbit/client.ts';
import { GOOGLE_HEALTH_TYPES } from '../vendors/fitbit/scopes.ts';

/**
 * - rollup: `:dailyRollUp`, one window per local day, reconciled (steps, distance, total calories);
 * - daily: list of Daily records filtered on `date`;
 * - samples: list of Sample records filtered on physical time, whole local days;
 * - sleep: list filtered on `interval.end_time` (a sleep belongs to the morning it ends).
 */
export type FetchKind = 'rollup' | 'daily' | 'samples' | 'sleep';

export interface TypeSpec {
  type: MeasurementType;
  dataType: string;
  filterName: string;
  kind: FetchKind;
  /** Dates per request batch: the rollup cap, or what fits a 10,000-point page. */
  chunkDays: number;
}

/** The types the Google Health API serves: not every MeasurementType (other vendors bring more). */
type GoogleHealthType = keyof typeof GOOGLE_HEALTH_TYPES;

const KIND: Record<GoogleHealthType, FetchKind> = {
  steps: 'rollup',
  distance: 'rollup',
  calories: 'rollup',
  heart_rate: 'samples',
  body_weight: 'samples',
  body_fat: 'samples',
  sleep: 'sleep',
  resting_heart_rate: 'daily',
  spo2: 'daily',
  hrv_rmssd: 'daily',
  respiratory_rate: 'daily',
  skin_temperature_deviation: 'daily',
  vo2_max: 'daily',
};

function chunkDaysOf(type: GoogleHealthType, dataType: string): number {
  if (KIND[type] === 'rollup') return dailyRollUpCapDays(dataType);
  // NOTE: one heart-rate sample per worn minute is ~1,400 a day: 7 days fill one 10,000 page.
  if (type === 'heart_rate') return 7;
  return 90;
}

export const TYPE_SPECS = Object.fromEntries(
  (Object.keys(GOOGLE_HEALTH_TYPES) as GoogleHealthType[]).map((type) => {
    const dataType = GOOGLE_HEALTH_TYPES[type].dataType;
    const spec: TypeSpec = {
      type,
      dataType,
      // NOTE: URL ids are kebab-case, filter names snake_case (docs/google-health.md §0.1).
      filterName: dataType.replaceAll('-', '_'),
      kind: KIND[type],
      chunkDays: chunkDaysOf(type, dataType),
    };
    return [type, spec];
  }),
) as Partial<Record<MeasurementType, TypeSpec>>;

/** Our type for a Google Health data type id (webhook notifications name those). */
export function typeForDataType(dataType: string): MeasurementType | undefined {
  return MEASUREMENT_TYPES.find((t) => TYPE_SPECS[t]?.dataType === dataType);
}

export interface DateRange {
  start: string;
  end: string;
}

export interface PlanInput {
  today: string;
  /** The type's cursor: last complete local date committed. */
  cursor: string | undefined;
  backfillDays: number;
  /** Complete days re-read behind the cursor (late device syncs rewrite them). */
  overlapDays: number;
  /** A targeted sync (webhook, explicit window) instead of the cursor's. */
  target?: DateRange | undefined;
}

export function planType(input: PlanInput): DateRange | undefined {
  const { today } = input;
  if (input.target) {
    const end = input.target.end < today ? input.target.end : today;
    return input.target.start <= end ? { start: input.target.start, end } : undefined;
  }
  const backfillStart = addDays(today, -input.backfillDays);
  if (!input.cursor) return { start: backfillStart, end: today };
  const resume = addDays(input.cursor, 1 - input.overlapDays);
  // NOTE: never more than a year back, whatever an old cursor says.
  const floor = addDays(today, -365);
  const start = resume > today ? addDays(today, -input.overlapDays) : resume < floor ? floor : resume;
  return { start, end: today };
}

export function chunksOf(range: DateRange, days: number): DateRange[] {
  const out: DateRange[] = [];
  for (let start = range.start; start <= range.end; start = addDays(start, days)) {
    const end = addDays(start, days - 1);
    out.push({ start, end: end < range.end ? end : range.end });
  }
  return out;
}

export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** The instant a local date starts in `zone`. */
export function midnightIn(zone: string, date: string): number {
  const wall = Date.parse(`${date}T00:00:00Z`);
  return wall - zoneOffsetAt(zone, wall) * 60_000;
}

/** The zone's UTC offset at the start of a local date, '+05:30'. */
export function offsetOn(zone: string, date: string): string {
  return formatOffset(zoneOffsetAt(zone, Date.parse(`${date}T00:00:00Z`)));
}
