/**
 * Stored Observation -> the health API's `HealthObservation` (docs/api.md), and the effective range a
 * store indexes. Runs once per item of a page: no validation, no allocation beyond the result.
 *
 *   toHealthObservation(obs) -> HealthObservation | undefined  (undefined: not a type this API serves,
 *                                                               e.g. a blood-pressure panel the app posted)
 *   effectiveRange(obs)      -> { start, end, date } | undefined (RFC 3339 with offset; end === start for a point)
 *   observationValue(obs, type) -> number | undefined    (the one number a list, chart or summary shows)
 *
 * Reads only what toObservation writes: the primary coding, valueQuantity in the table's UCUM code
 * (for a panel, its systolic component), effective[x] written in local time, the utc-offset extension
 * of daily records, the vendor tag, device.display, sleep stage and blood-pressure components, the
 * sleep stage sequence and the heart-rate SampledData component.
 */
import type { Observation } from '@medplum/fhirtypes';
import {
  BLOOD_PRESSURE_CODES,
  CODES,
  componentForCode,
  typeForCode,
  UTC_OFFSET_EXTENSION,
  VENDOR_TAG_SYSTEM,
} from './codes.ts';
import { decodeSamples, samplesComponentOf } from './heart-rate-window.ts';
import type { ComponentName, MeasurementType, Sample, SleepStageInterval } from './measurement.ts';
import { decodeStages, stageSequenceComponentOf } from './sleep-stages.ts';
import { DAY_MS, localDayStartMs, toLocalIso } from './time.ts';

export interface HealthObservation {
  id: string;
  type: MeasurementType;
  status: string;
  code: { system: string; code: string; display: string };
  value: number;
  unit: string;
  unit_display: string;
  effective_start: string;
  effective_end: string | null;
  /** Local calendar date, 'YYYY-MM-DD'. */
  date: string;
  source: { vendor: string | null; device: string | null };
  samples: Sample[] | null;
  /** Sleep: minutes per stage; blood pressure: systolic and diastolic (absent for every other type). */
  components?: Partial<Record<ComponentName, number>>;
  /** Sleep: the night's stage sequence (hypnogram), when stored (absent otherwise). */
  stages?: SleepStageInterval[];
}

export function toHealthObservation(obs: Observation): HealthObservation | undefined {
  const type = observationType(obs);
  if (!type) return undefined;
  const entry = CODES[type];
  const value = observationValue(obs, type);
  if (value === undefined) return undefined;
  const range = effectiveRange(obs, type);
  if (!range) return undefined;
  const primary = entry.coding[0];

  const result: HealthObservation = {
    id: obs.id ?? '',
    type,
    status: obs.status,
    code: { system: primary.system, code: primary.code, display: primary.display },
    value,
    unit: entry.apiUnit,
    unit_display: entry.apiUnitDisplay,
    effective_start: range.start,
    effective_end: range.end === range.start && !obs.effectivePeriod ? null : range.end,
    date: range.date,
    source: { vendor: vendorOf(obs), device: obs.device?.display ?? null },
    samples: null,
  };
  const window = samplesComponentOf(obs)?.valueSampledData;
  if (window?.data !== undefined) result.samples = decodeSamples(range.start, window.period, window.data);
  for (const c of obs.component ?? []) {
    const coding = c.code.coding?.[0];
    const name = componentForCode(coding?.system, coding?.code);
    if (name && c.valueQuantity?.value !== undefined) {
      result.components ??= {};
      result.components[name] = c.valueQuantity.value;
    }
  }
  if (type === 'sleep') {
    const sequence = stageSequenceComponentOf(obs)?.valueSampledData;
    if (sequence?.data !== undefined && sequence.period !== undefined) {
      const stages = decodeStages(range.start, range.end, sequence.period, sequence.data);
      if (stages.length > 0) result.stages = stages;
    }
  }
  return result;
}

/**
 * The number the health API shows for an Observation of `type`: valueQuantity.value in the type's
 * UCUM code, or for a panel (blood pressure) its systolic component in that code. Undefined when
 * the Observation does not hold it in that unit.
 */
export function observationValue(obs: Observation, type: MeasurementType): number | undefined {
  const entry = CODES[type];
  if (!entry.panel) {
    const q = obs.valueQuantity;
    return q?.value !== undefined && q.code === entry.ucum ? q.value : undefined;
  }
  const systolic = BLOOD_PRESSURE_CODES.systolic;
  const part = obs.component?.find((c) =>
    c.code.coding?.some((x) => x.system === systolic.system && x.code === systolic.code),
  );
  const q = part?.valueQuantity;
  return q?.value !== undefined && q.code === entry.ucum ? q.value : undefined;
}

/**
 * The instants an Observation covers, in its own local offset, and its local date. A daily record
 * (date-only effectiveDateTime) covers its whole local day: [00:00, next 00:00) at the stored offset.
 */
export function effectiveRange(
  obs: Observation,
  type: MeasurementType | undefined = observationType(obs),
): { start: string; end: string; date: string } | undefined {
  const at = obs.effectiveDateTime;
  if (at !== undefined) {
    if (at.length < 10) return undefined; // a year or month alone: no day to index
    if (at.length === 10) {
      const offset = obs.extension?.find((e) => e.url === UTC_OFFSET_EXTENSION)?.valueString ?? '+00:00';
      const startMs = localDayStartMs(at, offset);
      return { start: toLocalIso(startMs, offset), end: toLocalIso(startMs + DAY_MS, offset), date: at };
    }
    return { start: at, end: at, date: at.slice(0, 10) };
  }
  const period = obs.effectivePeriod;
  if (period?.start && period.end) {
    return {
      start: period.start,
      end: period.end,
      date: (type === 'sleep' ? period.end : period.start).slice(0, 10),
    };
  }
  return undefined;
}

function observationType(obs: Observation): MeasurementType | undefined {
  const c = obs.code.coding?.[0];
  return typeForCode(c?.system, c?.code);
}

function vendorOf(obs: Observation): string | null {
  return obs.meta?.tag?.find((t) => t.system === VENDOR_TAG_SYSTEM)?.code ?? null;
}
