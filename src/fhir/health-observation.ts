/**
 * Stored Observation -> the health API's `HealthObservation` (docs/api.md), and the effective range a
 * store indexes. Runs once per item of a page: no validation, no allocation beyond the result.
 *
 *   toHealthObservation(obs) -> HealthObservation | undefined  (undefined: not a type this API serves,
 *                                                               e.g. a blood-pressure panel the app posted)
 *   effectiveRange(obs)      -> { start, end, date } | undefined (RFC 3339 with offset; end === start for a point)
 *
 * Reads only what toObservation writes: the primary coding, valueQuantity in the table's UCUM code,
 * effective[x] written in local time, the utc-offset extension of daily records, the vendor tag,
 * device.display, sleep stage components and the heart-rate SampledData component.
 */
import type { Observation } from '@medplum/fhirtypes';
import { CODES, sleepStageForCode, typeForCode, UTC_OFFSET_EXTENSION, VENDOR_TAG_SYSTEM } from './codes.ts';
import { decodeSamples, samplesComponentOf } from './heart-rate-window.ts';
import type { MeasurementType, Sample, SleepStage } from './measurement.ts';
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
  /** Sleep only: minutes per stage (not in docs/api.md's example; absent for every other type). */
  components?: Partial<Record<SleepStage, number>>;
}

export function toHealthObservation(obs: Observation): HealthObservation | undefined {
  const type = observationType(obs);
  if (!type) return undefined;
  const entry = CODES[type];
  const q = obs.valueQuantity;
  if (q?.value === undefined || q.code !== entry.ucum) return undefined;
  const range = effectiveRange(obs, type);
  if (!range) return undefined;
  const primary = entry.coding[0];

  const result: HealthObservation = {
    id: obs.id ?? '',
    type,
    status: obs.status,
    code: { system: primary.system, code: primary.code, display: primary.display },
    value: q.value,
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
    const stage = sleepStageForCode(coding?.system, coding?.code);
    if (stage && c.valueQuantity?.value !== undefined) {
      result.components ??= {};
      result.components[stage] = c.valueQuantity.value;
    }
  }
  return result;
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
