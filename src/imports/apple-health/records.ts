/**
 * One `<Record>` of export.xml as the parser hands it over, and what it maps to (pure).
 *
 *   mapRecord(raw) -> MappedRecord: a point measurement, a heart-rate sample, an activity interval
 *                     (steps, distance, active or basal energy), a sleep segment, half of a
 *                     blood-pressure reading, or a skip with its reason
 *
 * Units are converted here, once, to the project's canonical units; each Apple quirk is noted
 * beside its conversion (docs/apple-health.md "What maps to what").
 */
import type { MeasurementType, SleepStage } from '../../fhir/measurement.ts';
import { parseAppleDate } from './dates.ts';

export interface RawRecord {
  type: string;
  sourceName: string;
  device: string | undefined;
  unit: string | undefined;
  value: string | undefined;
  creationDate: string | undefined;
  startDate: string | undefined;
  endDate: string | undefined;
  /** MetadataEntry key -> value (HKTimeZone, HKWasUserEntered, HKMetadataKeySyncIdentifier, ...). */
  meta: Record<string, string>;
}

export type ActivityKind = 'steps' | 'distance' | 'active_energy' | 'basal_energy';

export type MappedRecord =
  | { kind: 'point'; type: MeasurementType; value: number; daily: boolean }
  | { kind: 'heart_rate'; value: number }
  | { kind: 'activity'; activity: ActivityKind; value: number }
  | { kind: 'sleep'; stage: SleepStage | 'in_bed' }
  | { kind: 'blood_pressure'; part: 'systolic' | 'diastolic'; value: number }
  | { kind: 'skip'; reason: SkipReason };

export type SkipReason =
  | 'unsupported_type'
  | 'invalid_date'
  | 'invalid_value'
  | 'unsupported_unit'
  | 'blood_pressure_unpaired'
  | 'sleep_in_bed_only';

export interface RecordTimes {
  startMs: number;
  endMs: number;
}

/** Start and end as instants; undefined when either is missing, malformed or reversed. */
export function recordTimes(raw: RawRecord): RecordTimes | undefined {
  const startMs = parseAppleDate(raw.startDate);
  const endMs = parseAppleDate(raw.endDate ?? raw.startDate);
  if (startMs === undefined || endMs === undefined || endMs < startMs) return undefined;
  return { startMs, endMs };
}

const Q = 'HKQuantityTypeIdentifier';

/** Point types: our type, whether it is one value per day, and the unit conversion. */
const POINT_TYPES: Record<string, { type: MeasurementType; daily?: boolean; convert: Convert }> = {
  [`${Q}RestingHeartRate`]: { type: 'resting_heart_rate', daily: true, convert: perMinute },
  [`${Q}HeartRateVariabilitySDNN`]: { type: 'hrv_sdnn', convert: (v, u) => (u === 'ms' ? v : undefined) },
  // NOTE: HealthKit's `%` is a fraction 0..1 ("Percent measures a value between 0.0 and 1.0").
  [`${Q}OxygenSaturation`]: { type: 'spo2', convert: fraction },
  [`${Q}BodyFatPercentage`]: { type: 'body_fat', convert: fraction },
  [`${Q}RespiratoryRate`]: { type: 'respiratory_rate', convert: perMinute },
  [`${Q}BodyMass`]: { type: 'body_weight', convert: mass },
  [`${Q}Height`]: { type: 'height', convert: length((m) => m * 100) },
  [`${Q}BodyTemperature`]: { type: 'body_temperature', convert: temperature },
  [`${Q}VO2Max`]: { type: 'vo2_max', convert: (v, u) => (u?.startsWith('mL/min') ? v : undefined) },
  [`${Q}BloodGlucose`]: { type: 'blood_glucose', convert: glucose },
};

const ACTIVITY_TYPES: Record<string, { activity: ActivityKind; convert: Convert }> = {
  [`${Q}StepCount`]: { activity: 'steps', convert: (v, u) => (u === 'count' ? v : undefined) },
  [`${Q}DistanceWalkingRunning`]: { activity: 'distance', convert: length((m) => m) },
  [`${Q}ActiveEnergyBurned`]: { activity: 'active_energy', convert: energy },
  [`${Q}BasalEnergyBurned`]: { activity: 'basal_energy', convert: energy },
};

const SLEEP_VALUES: Record<string, SleepStage | 'in_bed'> = {
  HKCategoryValueSleepAnalysisInBed: 'in_bed',
  // Before iOS 16 (and older samples in newer exports): asleep, stage unknown.
  HKCategoryValueSleepAnalysisAsleep: 'asleep',
  HKCategoryValueSleepAnalysisAsleepUnspecified: 'asleep',
  HKCategoryValueSleepAnalysisAwake: 'awake',
  HKCategoryValueSleepAnalysisAsleepCore: 'light',
  HKCategoryValueSleepAnalysisAsleepDeep: 'deep',
  HKCategoryValueSleepAnalysisAsleepREM: 'rem',
};

export function mapRecord(raw: RawRecord): MappedRecord {
  const { type } = raw;
  if (type === 'HKCategoryTypeIdentifierSleepAnalysis') {
    const stage = raw.value ? SLEEP_VALUES[raw.value] : undefined;
    return stage ? { kind: 'sleep', stage } : { kind: 'skip', reason: 'invalid_value' };
  }
  if (!type.startsWith(Q)) return { kind: 'skip', reason: 'unsupported_type' };
  const point = POINT_TYPES[type];
  const activity = ACTIVITY_TYPES[type];
  const isHeartRate = type === `${Q}HeartRate`;
  const bp =
    type === `${Q}BloodPressureSystolic`
      ? 'systolic'
      : type === `${Q}BloodPressureDiastolic`
        ? 'diastolic'
        : undefined;
  const wrist = type === `${Q}AppleSleepingWristTemperature`;
  if (!point && !activity && !isHeartRate && !bp && !wrist)
    return { kind: 'skip', reason: 'unsupported_type' };
  const number = Number(raw.value);
  if (raw.value === undefined || raw.value.trim() === '' || !Number.isFinite(number))
    return { kind: 'skip', reason: 'invalid_value' };
  if (isHeartRate) {
    const v = perMinute(number, raw.unit);
    return v === undefined ? { kind: 'skip', reason: 'unsupported_unit' } : { kind: 'heart_rate', value: v };
  }
  if (bp) {
    return raw.unit === 'mmHg'
      ? { kind: 'blood_pressure', part: bp, value: number }
      : { kind: 'skip', reason: 'unsupported_unit' };
  }
  if (activity) {
    const v = activity.convert(number, raw.unit);
    if (v === undefined) return { kind: 'skip', reason: 'unsupported_unit' };
    return v < 0
      ? { kind: 'skip', reason: 'invalid_value' }
      : { kind: 'activity', activity: activity.activity, value: v };
  }
  if (wrist) return wristTemperature(number, raw.unit);
  const p = point as NonNullable<typeof point>;
  const v = p.convert(number, raw.unit);
  if (v === undefined) return { kind: 'skip', reason: 'unsupported_unit' };
  return { kind: 'point', type: p.type, value: round(v), daily: p.daily ?? false };
}

/**
 * NOTE: Apple stores the night's wrist temperature as a temperature; some third-party files carry
 * the deviation from baseline instead. Told apart by range: |value| < 5 °C is a deviation.
 */
function wristTemperature(number: number, unit: string | undefined): MappedRecord {
  if (unit !== 'degC' && unit !== 'degF') return { kind: 'skip', reason: 'unsupported_unit' };
  const small = unit === 'degC' ? Math.abs(number) < 5 : Math.abs(number) < 9;
  if (small) {
    const celsius = unit === 'degC' ? number : (number * 5) / 9;
    return { kind: 'point', type: 'skin_temperature_deviation', value: round(celsius), daily: true };
  }
  const v = temperature(number, unit) as number;
  return { kind: 'point', type: 'skin_temperature', value: round(v), daily: false };
}

type Convert = (value: number, unit: string | undefined) => number | undefined;

function perMinute(v: number, unit: string | undefined): number | undefined {
  return unit === 'count/min' ? v : undefined;
}

function fraction(v: number, unit: string | undefined): number | undefined {
  if (unit !== '%') return undefined;
  return v <= 1 ? v * 100 : v; // a value above 1 was already written as percent by some apps
}

function mass(v: number, unit: string | undefined): number | undefined {
  switch (unit) {
    case 'kg':
      return v;
    case 'g':
      return v / 1000;
    case 'lb':
      return v * 0.45359237;
    case 'st':
      return v * 6.35029318;
    default:
      return undefined;
  }
}

/** Length in metres, then `to` the type's unit. */
function length(to: (metres: number) => number): Convert {
  const FACTORS: Record<string, number> = {
    m: 1,
    km: 1000,
    cm: 0.01,
    mi: 1609.344,
    ft: 0.3048,
    in: 0.0254,
    yd: 0.9144,
  };
  return (v, unit) => {
    const f = unit ? FACTORS[unit] : undefined;
    return f === undefined ? undefined : to(v * f);
  };
}

function temperature(v: number, unit: string | undefined): number | undefined {
  if (unit === 'degC') return v;
  if (unit === 'degF') return ((v - 32) * 5) / 9;
  return undefined;
}

/** NOTE: `Cal` (capital C) is a kilocalorie, the person's "Calories" display choice. */
function energy(v: number, unit: string | undefined): number | undefined {
  if (unit === 'kcal' || unit === 'Cal') return v;
  if (unit === 'kJ') return v / 4.184;
  if (unit === 'cal') return v / 1000;
  return undefined;
}

/**
 * NOTE: the mmol unit embeds the molar mass, `mmol<180.1558800000541>/L`: 1 mmol/L of glucose is
 * 18.0156 mg/dL.
 */
function glucose(v: number, unit: string | undefined): number | undefined {
  if (unit === 'mg/dL') return v;
  if (unit?.startsWith('mmol') && unit.endsWith('/L')) return v * 18.0156;
  return undefined;
}

/** Six significant decimals: conversions stay stable across runs and imports. */
function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
