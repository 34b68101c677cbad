import type { MeasurementType } from '../../fhir/measurement.ts';
import type { DataTypeSupport } from '../types.ts';

// Which Withings scope reads each of our measurement types.
// NOTE: user.metrics covers the measures (getmeas) and heart; user.activity covers activity and sleep,
// breathing during sleep included; user.info is asked for the account's devices (docs/withings.md "Connecting").

export const WITHINGS_SCOPES = {
  metrics: 'user.metrics',
  activity: 'user.activity',
  info: 'user.info',
} as const;

export const WITHINGS_TYPE_SCOPES = {
  body_weight: WITHINGS_SCOPES.metrics,
  body_fat: WITHINGS_SCOPES.metrics,
  fat_mass: WITHINGS_SCOPES.metrics,
  fat_free_mass: WITHINGS_SCOPES.metrics,
  muscle_mass: WITHINGS_SCOPES.metrics,
  bone_mass: WITHINGS_SCOPES.metrics,
  height: WITHINGS_SCOPES.metrics,
  blood_pressure: WITHINGS_SCOPES.metrics,
  heart_rate: WITHINGS_SCOPES.metrics,
  body_temperature: WITHINGS_SCOPES.metrics,
  skin_temperature: WITHINGS_SCOPES.metrics,
  spo2: WITHINGS_SCOPES.metrics,
  vo2_max: WITHINGS_SCOPES.metrics,
  steps: WITHINGS_SCOPES.activity,
  distance: WITHINGS_SCOPES.activity,
  calories: WITHINGS_SCOPES.activity,
  sleep: WITHINGS_SCOPES.activity,
  respiratory_rate: WITHINGS_SCOPES.activity,
} as const satisfies Partial<Record<MeasurementType, string>>;

export const WITHINGS_DATA_TYPES: readonly DataTypeSupport[] = Object.entries(WITHINGS_TYPE_SCOPES).map(
  ([type, scope]) => ({ type: type as MeasurementType, scope }),
);

/**
 * The types each Withings service supplies (src/vendors/withings/sync.ts reads one service per
 * stream): getmeas for every measure, getactivity for the day's totals, getsummary for nights.
 */
export const WITHINGS_STREAM_TYPES = {
  measures: [
    'body_weight',
    'body_fat',
    'fat_mass',
    'fat_free_mass',
    'muscle_mass',
    'bone_mass',
    'height',
    'blood_pressure',
    'heart_rate',
    'body_temperature',
    'skin_temperature',
    'spo2',
    'vo2_max',
  ],
  activity: ['steps', 'distance', 'calories'],
  sleep: ['sleep', 'respiratory_rate'],
} as const satisfies Record<string, readonly MeasurementType[]>;
