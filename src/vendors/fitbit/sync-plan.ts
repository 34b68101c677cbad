/**
 * What the Google Health API is asked for each data type. Pure: no I/O, no clock.
 *
 *   TYPE_SPECS.steps              -> { dataType: 'steps', kind: 'rollup', chunkDays: 90 }
 *   typeForDataType('heart-rate') -> 'heart_rate' (webhook notifications name data types)
 */
import { dailyRollUpCapDays } from './client.ts';
import { GOOGLE_HEALTH_TYPES, GOOGLE_TYPES, type GoogleType } from './scopes.ts';

/**
 * - rollup: `:dailyRollUp`, one window per local day, reconciled (steps, distance, total calories);
 * - daily: list of Daily records filtered on `date`;
 * - samples: list of Sample records filtered on physical time, whole local days;
 * - sleep: list filtered on `interval.end_time` (a sleep belongs to the morning it ends).
 */
export type FetchKind = 'rollup' | 'daily' | 'samples' | 'sleep';

export interface TypeSpec {
  type: GoogleType;
  dataType: string;
  filterName: string;
  kind: FetchKind;
  /** Dates per request batch: the rollup cap, or what fits a 10,000-point page. */
  chunkDays: number;
}

const KIND: Record<GoogleType, FetchKind> = {
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

function chunkDaysOf(type: GoogleType, dataType: string): number {
  if (KIND[type] === 'rollup') return dailyRollUpCapDays(dataType);
  // NOTE: one heart-rate sample per worn minute is ~1,400 a day: 7 days fill one 10,000 page.
  if (type === 'heart_rate') return 7;
  return 90;
}

export const TYPE_SPECS = Object.fromEntries(
  GOOGLE_TYPES.map((type) => {
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
) as Record<GoogleType, TypeSpec>;

/** Our type for a Google Health data type id (webhook notifications name those). */
export function typeForDataType(dataType: string): GoogleType | undefined {
  return GOOGLE_TYPES.find((t) => TYPE_SPECS[t].dataType === dataType);
}
