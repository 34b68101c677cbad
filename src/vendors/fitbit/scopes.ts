import { MEASUREMENT_TYPES, type MeasurementType } from '../../fhir/measurement.ts';
import type { DataTypeSupport } from '../types.ts';

// Which Google Health API data type and which read scope serve each of our types.
// NOTE: scope families per data type from google-health-api.md §2.1 and §4 (docs, late 2026).
const PREFIX = 'https://www.googleapis.com/auth/googlehealth.';

export const GOOGLE_HEALTH_SCOPES = {
  activity: `${PREFIX}activity_and_fitness.readonly`,
  healthMetrics: `${PREFIX}health_metrics_and_measurements.readonly`,
  sleep: `${PREFIX}sleep.readonly`,
  /** users/me/settings: the time zone that decides local dates (docs/google-health.md §2.1, §3.2). */
  settings: `${PREFIX}settings.readonly`,
} as const;

export interface GoogleHealthTypeSpec {
  /** URL id of the Google Health data type (kebab-case). */
  dataType: string;
  scope: string;
}

export const GOOGLE_HEALTH_TYPES = {
  heart_rate: { dataType: 'heart-rate', scope: GOOGLE_HEALTH_SCOPES.healthMetrics },
  resting_heart_rate: { dataType: 'daily-resting-heart-rate', scope: GOOGLE_HEALTH_SCOPES.healthMetrics },
  spo2: { dataType: 'daily-oxygen-saturation', scope: GOOGLE_HEALTH_SCOPES.healthMetrics },
  body_weight: { dataType: 'weight', scope: GOOGLE_HEALTH_SCOPES.healthMetrics },
  steps: { dataType: 'steps', scope: GOOGLE_HEALTH_SCOPES.activity },
  calories: { dataType: 'total-calories', scope: GOOGLE_HEALTH_SCOPES.activity },
  distance: { dataType: 'distance', scope: GOOGLE_HEALTH_SCOPES.activity },
  hrv_rmssd: { dataType: 'daily-heart-rate-variability', scope: GOOGLE_HEALTH_SCOPES.healthMetrics },
  respiratory_rate: { dataType: 'daily-respiratory-rate', scope: GOOGLE_HEALTH_SCOPES.healthMetrics },
  sleep: { dataType: 'sleep', scope: GOOGLE_HEALTH_SCOPES.sleep },
  body_fat: { dataType: 'body-fat', scope: GOOGLE_HEALTH_SCOPES.healthMetrics },
  skin_temperature_deviation: {
    dataType: 'daily-sleep-temperature-derivations',
    scope: GOOGLE_HEALTH_SCOPES.healthMetrics,
  },
  vo2_max: { dataType: 'daily-vo2-max', scope: GOOGLE_HEALTH_SCOPES.activity },
} as const satisfies Partial<Record<MeasurementType, GoogleHealthTypeSpec>>;

/** Our types the Google Health API supplies, in the order of MEASUREMENT_TYPES. */
export type GoogleType = keyof typeof GOOGLE_HEALTH_TYPES;
export const GOOGLE_TYPES: readonly GoogleType[] = MEASUREMENT_TYPES.filter(
  (t): t is GoogleType => t in GOOGLE_HEALTH_TYPES,
);

export const FITBIT_DATA_TYPES: readonly DataTypeSupport[] = Object.entries(GOOGLE_HEALTH_TYPES).map(
  ([type, spec]) => ({ type: type as GoogleType, scope: spec.scope }),
);

/** Every scope the data types need, in a stable order. */
export function requiredScopes(dataTypes: readonly DataTypeSupport[] = FITBIT_DATA_TYPES): string[] {
  return [...new Set(dataTypes.map((d) => d.scope))];
}
