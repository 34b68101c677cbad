/**
 * What Withings supplies, as tables the connector and the mappers share. Pure data.
 *
 *   MEASTYPE_TYPES[1]          -> 'body_weight'       (getmeas `type` -> our type; 9 + 10 make one blood_pressure)
 *   WITHINGS_MEASTYPES         -> [1, 4, 5, ...]      (getmeas `meastypes` to request)
 *   APPLI[16]                  -> { service: 'getactivity', types: ['steps', 'distance', 'calories'] }
 *   typesForAppli(44)          -> ['sleep', 'respiratory_rate', 'heart_rate']   ([] for an unknown appli)
 *   appliesFor(['steps'])      -> [16]                (the notification categories to subscribe to)
 *   WITHINGS_TYPES             -> every type the mappers produce
 *   modelName(5)               -> 'Body+'
 */
import type { MeasurementType } from '../../../fhir/measurement.ts';

/** Withings meastype -> our type. Scaling and the unit conversion are in measures.mapper.ts. */
export const MEASTYPE_TYPES = {
  1: 'body_weight',
  4: 'height',
  5: 'fat_free_mass',
  6: 'body_fat',
  8: 'fat_mass',
  9: 'blood_pressure', // diastolic
  10: 'blood_pressure', // systolic
  11: 'heart_rate',
  12: 'body_temperature',
  54: 'spo2',
  71: 'body_temperature',
  73: 'skin_temperature',
  76: 'muscle_mass',
  88: 'bone_mass',
  123: 'vo2_max',
} as const satisfies Record<number, MeasurementType>;

export type WithingsMeasType = keyof typeof MEASTYPE_TYPES;

/** The `meastypes` a getmeas call asks for: every type above, ascending. */
export const WITHINGS_MEASTYPES: readonly WithingsMeasType[] = Object.keys(MEASTYPE_TYPES)
  .map(Number)
  .sort((a, b) => a - b) as WithingsMeasType[];

export type WithingsService = 'getmeas' | 'getactivity' | 'getsummary';

export interface AppliSpec {
  /** The read that picks up what the notification announced. */
  service: WithingsService;
  /** The measurement types a notification of this category may have changed. */
  types: readonly MeasurementType[];
}

/**
 * Notification categories (`appli`). NOTE: Withings lists temperatures 71 and 73 under appli 1 as
 * well as 2, and names no category for VO2 max (123); it is put under 1, the body measures. A
 * getmeas read asks for every meastype whatever the category (docs/withings.md "Mapping to FHIR").
 */
export const APPLI = {
  1: {
    service: 'getmeas',
    types: [
      'body_weight',
      'height',
      'fat_free_mass',
      'body_fat',
      'fat_mass',
      'muscle_mass',
      'bone_mass',
      'body_temperature',
      'skin_temperature',
      'vo2_max',
    ],
  },
  2: { service: 'getmeas', types: ['body_temperature', 'skin_temperature'] },
  4: { service: 'getmeas', types: ['blood_pressure', 'heart_rate', 'spo2'] },
  16: { service: 'getactivity', types: ['steps', 'distance', 'calories'] },
  44: { service: 'getsummary', types: ['sleep', 'respiratory_rate', 'heart_rate'] },
} as const satisfies Record<number, AppliSpec>;

export type WithingsAppli = keyof typeof APPLI;

const APPLIES = Object.keys(APPLI).map(Number) as WithingsAppli[];

export function typesForAppli(appli: number): readonly MeasurementType[] {
  return (APPLI as Record<number, AppliSpec | undefined>)[appli]?.types ?? [];
}

/** The categories whose notifications cover any of `types`, ascending. */
export function appliesFor(types: readonly MeasurementType[]): WithingsAppli[] {
  const wanted = new Set(types);
  return APPLIES.filter((a) => APPLI[a].types.some((t) => wanted.has(t)));
}

/** Every type the Withings mappers produce. */
export const WITHINGS_TYPES: readonly MeasurementType[] = [
  ...new Set(APPLIES.flatMap((a) => APPLI[a].types)),
];

// NOTE: model ids from Withings' model table, for rows that give an id but no name (docs/withings.md
// "Mapping to FHIR"): sleep summaries, and groups whose `model` is an integer.
const MODEL_NAMES: Readonly<Record<number, string>> = {
  5: 'Body+',
  6: 'Body Cardio',
  10: 'Body Scan',
  44: 'BPM Core',
  45: 'BPM Connect',
  63: 'Sleep Analyzer',
  91: 'Move ECG',
  93: 'ScanWatch',
};

/** A device's name: `model` when it is a non-empty string, else the known name of its model id. */
export function modelName(model: unknown, modelId: unknown): string | undefined {
  if (typeof model === 'string' && model.trim() !== '') return model.trim();
  return typeof modelId === 'number' ? MODEL_NAMES[modelId] : undefined;
}
