/**
 * The vendor-neutral measurement: what every vendor mapper produces and `toObservation` consumes.
 *
 * A measurement is one of
 * - a point sample (`start === end`, e.g. a weight),
 * - a session (`start < end`, e.g. a night's sleep with stage minutes in `components`),
 * - a window of dense samples (`samples`, e.g. one local hour of heart rate; `value` is their mean),
 * - a daily aggregate (`daily: true`; `start`/`end` are the local day's bounds, `localDate` is the day).
 *
 * Blood pressure is one reading of two numbers: `components` holds systolic and diastolic, and
 * `value` repeats the systolic one (what lists, charts and summaries show for the type).
 *
 * Units are converted once, in the vendor mapper, to the canonical unit of the type (see
 * `CANONICAL_UNIT`); `toObservation` refuses any other unit rather than converting silently.
 */
import { localDateOf } from './time.ts';

export const MEASUREMENT_TYPES = [
  'heart_rate',
  'resting_heart_rate',
  'spo2',
  'body_weight',
  'steps',
  'calories',
  'distance',
  'hrv_rmssd',
  'respiratory_rate',
  'sleep',
  'body_fat',
  'skin_temperature_deviation',
  'vo2_max',
  'blood_pressure',
  'body_temperature',
  'skin_temperature',
  'fat_mass',
  'fat_free_mass',
  'muscle_mass',
  'bone_mass',
  'height',
  'hrv_sdnn',
  'blood_glucose',
] as const;

export type MeasurementType = (typeof MEASUREMENT_TYPES)[number];

/** The project's canonical unit per type (UCUM), as served by the health API (docs/api.md). */
export const CANONICAL_UNIT = {
  heart_rate: '/min',
  resting_heart_rate: '/min',
  spo2: '%',
  body_weight: 'kg',
  steps: '/d',
  calories: 'kcal',
  distance: 'm',
  hrv_rmssd: 'ms',
  respiratory_rate: '/min',
  sleep: 'min',
  body_fat: '%',
  skin_temperature_deviation: 'Cel',
  vo2_max: 'mL/kg/min',
  blood_pressure: 'mm[Hg]',
  body_temperature: 'Cel',
  skin_temperature: 'Cel',
  fat_mass: 'kg',
  fat_free_mass: 'kg',
  muscle_mass: 'kg',
  bone_mass: 'kg',
  height: 'cm',
  hrv_sdnn: 'ms',
  blood_glucose: 'mg/dL',
} as const satisfies Record<MeasurementType, string>;

/** Sleep stages, vendor-neutral. CLASSIC trackers report asleep/restless/awake; STAGES ones light/deep/rem/awake. */
export const SLEEP_STAGES = ['awake', 'light', 'deep', 'rem', 'asleep', 'restless'] as const;
export type SleepStage = (typeof SLEEP_STAGES)[number];

/**
 * One step of a night's hypnogram: the stage from `start` to `end` (ISO instants, the record's
 * offset). A sleep measurement's `stages` are in time order and do not overlap.
 */
export interface SleepStageInterval {
  stage: SleepStage;
  start: string;
  end: string;
}

/** The two numbers of a blood-pressure reading, in mm[Hg]. */
export const BLOOD_PRESSURE_PARTS = ['systolic', 'diastolic'] as const;
export type BloodPressurePart = (typeof BLOOD_PRESSURE_PARTS)[number];

/** What `components` may name: sleep stages (minutes) or blood-pressure parts (mm[Hg]). */
export type ComponentName = SleepStage | BloodPressurePart;

/** One dense sample as the health API shows it: `time` is RFC 3339 with the local offset. */
export interface Sample {
  time: string;
  value: number;
}

/**
 * One sample of a measurement's window: `at` in epoch ms (its local time is `at` in the
 * measurement's utcOffset), `value` in the measurement's unit. Kept as a number: windowing and
 * SampledData encoding are arithmetic on it, per sample, at ingest rate.
 */
export interface WindowSample {
  at: number;
  value: number;
}

export interface MeasurementSource {
  /** Registry id of the vendor, e.g. 'fitbit'. */
  vendor: string;
  /** The vendor's own device id, when it gives one (the Google Health API does not). */
  deviceId?: string;
  /** Human device name, e.g. 'Inspire 3'. */
  deviceName?: string;
  manufacturer?: string;
  /** e.g. 'PASSIVELY_MEASURED', 'DERIVED', 'MANUAL' (vendor vocabulary, kept for provenance). */
  recordingMethod?: string;
  /** e.g. 'FITBIT', 'HEALTH_CONNECT' (vendor vocabulary). */
  platform?: string;
  /**
   * The person typed the value in (no device measured it): the Observation then names no Device
   * and says so in `method` (docs/fhir.md "Provenance").
   */
  userEntered?: boolean;
}

export interface Measurement {
  type: MeasurementType;
  /**
   * The value in `unit`; for a window of samples, their mean; for sleep, minutes asleep; for blood
   * pressure, the systolic pressure (equal to `components.systolic`).
   */
  value: number;
  /** Canonical UCUM unit of `type` (see CANONICAL_UNIT). */
  unit: string;
  /** Sleep: minutes per stage. Blood pressure: `systolic` and `diastolic` (both required). */
  components?: Partial<Record<ComponentName, number>>;
  /** Sleep only: the night's stage sequence (hypnogram), in time order, when the vendor sends one. */
  stages?: SleepStageInterval[];
  /** Windowed intraday series only (heart rate): every sample, in time order, one offset. */
  samples?: WindowSample[];
  /** ISO instants (any offset); equal for a point sample. */
  start: string;
  end: string;
  /** The user's UTC offset for this record, '+05:30'. */
  utcOffset: string;
  /** The local calendar date the record belongs to, 'YYYY-MM-DD'. */
  localDate: string;
  source: MeasurementSource;
  /** The vendor's stable key for this record: its record name/id, or type + time (+ device) when it has none. */
  vendorKey: string;
  /** A daily aggregate (steps per day, resting heart rate of the day, ...). */
  daily: boolean;
}

const TYPE_SET: ReadonlySet<string> = new Set(MEASUREMENT_TYPES);

export function isMeasurementType(value: string): value is MeasurementType {
  return TYPE_SET.has(value);
}

/**
 * The local date a non-daily record belongs to: its start, except sleep, which belongs to the
 * morning it ends on (Fitbit's "date of sleep" convention). The reverse mapper applies the same rule.
 */
export function localDateFor(type: MeasurementType, start: string, end: string, utcOffset: string): string {
  return localDateOf(type === 'sleep' ? end : start, utcOffset);
}
