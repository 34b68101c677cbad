/**
 * An Observation of the original backend (PHR-Py, as its HAPI FHIR server returns it) -> what this
 * backend keeps, pure (no I/O, no clock).
 *
 *   classifyObservation(old, user) -> { kind: 'fitbit', measurement } | { kind: 'user', body } | { kind: 'skip', reason }
 *
 * What PHR-Py wrote for Fitbit (identifier value `fitbit-{patient}-{type}-{yyyyMMddHHmmss}`):
 * - LOINC 8867-4 heart rate, 59408-5 SpO2, 29463-7 body weight, 41950-7 steps, 41981-2 calories,
 *   41953-1 distance, each with category vital-signs whatever the type;
 * - units as Fitbit named them, not UCUM ('bpm', 'steps', 'lbs', 'km', 'Cal', ...), mostly without
 *   `system`/`code`;
 * - daily totals (steps, calories, distance, SpO2) stamped with a time of day instead of a date.
 * NOTE: PHR-Py stored Fitbit's local times without an offset (Python naive datetimes); those are
 * read as wall-clock times in the person's zone, and a daily total's date part is its local day.
 * A stamp with an offset is an instant: its local day in the person's zone is the day.
 * Everything else (the app's manual vitals and blood-pressure panels) is user-written data, stored
 * through the same preparation as POST /fhir/Observation.
 */
import type { Observation } from '@medplum/fhirtypes';
import { LOINC } from '../../fhir/codes.ts';
import { CANONICAL_UNIT, type Measurement, type MeasurementType } from '../../fhir/measurement.ts';
import { DAY_MS, formatOffset, localDayStartMs, toLocalIso } from '../../fhir/time.ts';
import { offsetAt } from '../../fhir/zones.ts';
import { LEGACY_FITBIT_SOURCE } from '../../health/source-priority.ts';

export interface LegacyUser {
  /** The zone the person's local days are read in (their old time zone when valid). */
  zone: string;
}

export type Classified =
  | { kind: 'fitbit'; measurement: Measurement; oldIdentifier: { system?: string; value: string } }
  | { kind: 'user'; body: Observation }
  | { kind: 'skip'; reason: string };

interface LegacyType {
  type: MeasurementType;
  daily: boolean;
  /** Old unit (lower case) -> factor to the canonical unit. */
  units: Readonly<Record<string, number>>;
  /** Decimals kept after conversion. */
  decimals: number;
}

const LB_KG = 0.45359237;

/** The codes PHR-Py wrote, with the units its Fitbit mapper used (and their UCUM spellings). */
const LEGACY_CODES: Readonly<Record<string, LegacyType>> = {
  '8867-4': {
    type: 'heart_rate',
    daily: false,
    units: { bpm: 1, '/min': 1, 'beats/minute': 1 },
    decimals: 1,
  },
  '59408-5': { type: 'spo2', daily: true, units: { '%': 1, percent: 1 }, decimals: 1 },
  '29463-7': {
    type: 'body_weight',
    daily: false,
    units: { kg: 1, kilograms: 1, lb: LB_KG, lbs: LB_KG, '[lb_av]': LB_KG, g: 0.001 },
    decimals: 3,
  },
  '41950-7': {
    type: 'steps',
    daily: true,
    units: { steps: 1, '/d': 1, count: 1, '{steps}': 1 },
    decimals: 0,
  },
  '41981-2': {
    type: 'calories',
    daily: true,
    units: { kcal: 1, cal: 1, calories: 1, 'kcal/d': 1 },
    decimals: 0,
  },
  '41953-1': {
    type: 'distance',
    daily: true,
    units: { km: 1000, m: 1, mi: 1609.344, miles: 1609.344, kilometers: 1000 },
    decimals: 1,
  },
};

const FITBIT_IDENTIFIER = /^fitbit-/;
/** A date-time without an offset: 'YYYY-MM-DDThh:mm[:ss[.fff]]' (or a bare date). */
const NAIVE = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;

export function classifyObservation(old: Observation, user: LegacyUser): Classified {
  const fitbitId = old.identifier?.find(
    (i) => typeof i.value === 'string' && FITBIT_IDENTIFIER.test(i.value),
  );
  if (!fitbitId?.value) return { kind: 'user', body: old };
  const loinc = old.code?.coding?.find((c) => c.system === LOINC || c.system === undefined)?.code;
  const legacy = loinc === undefined ? undefined : LEGACY_CODES[loinc];
  if (!legacy) return { kind: 'skip', reason: `unknown code ${loinc ?? '(none)'}` };
  const q = old.valueQuantity;
  if (typeof q?.value !== 'number' || !Number.isFinite(q.value)) return { kind: 'skip', reason: 'no value' };
  const unitName = (q.code ?? q.unit ?? '').trim().toLowerCase();
  const factor = legacy.units[unitName];
  if (factor === undefined)
    return { kind: 'skip', reason: `unknown unit ${unitName || '(none)'} for ${legacy.type}` };
  const stamp = old.effectiveDateTime ?? old.effectivePeriod?.start ?? old.effectiveInstant;
  if (!stamp) return { kind: 'skip', reason: 'no effective time' };
  const at = readStamp(stamp, user.zone);
  if (!at) return { kind: 'skip', reason: 'unreadable effective time' };
  const value = roundTo(q.value * factor, legacy.decimals);
  const source = { vendor: LEGACY_FITBIT_SOURCE, manufacturer: 'Fitbit' };
  const oldIdentifier = { ...(fitbitId.system ? { system: fitbitId.system } : {}), value: fitbitId.value };
  if (legacy.daily) {
    const startMs = localDayStartMs(at.localDate, at.dayOffset);
    const measurement: Measurement = {
      type: legacy.type,
      value,
      unit: CANONICAL_UNIT[legacy.type],
      start: toLocalIso(startMs, at.dayOffset),
      end: toLocalIso(startMs + DAY_MS, at.dayOffset),
      utcOffset: at.dayOffset,
      localDate: at.localDate,
      source,
      vendorKey: `${legacy.type}|${at.localDate}`,
      daily: true,
    };
    return { kind: 'fitbit', measurement, oldIdentifier };
  }
  const iso = toLocalIso(at.ms, at.offset);
  const measurement: Measurement = {
    type: legacy.type,
    value,
    unit: CANONICAL_UNIT[legacy.type],
    start: iso,
    end: iso,
    utcOffset: at.offset,
    localDate: iso.slice(0, 10),
    source,
    vendorKey: `${legacy.type}|${new Date(at.ms).toISOString()}`,
    daily: false,
  };
  return { kind: 'fitbit', measurement, oldIdentifier };
}

interface Stamp {
  ms: number;
  /** The person's offset at that instant. */
  offset: string;
  /** The local day it belongs to, and the offset at that day's start. */
  localDate: string;
  dayOffset: string;
}

/** A naive stamp is wall-clock time in `zone`; one with an offset is an instant. */
export function readStamp(stamp: string, zone: string): Stamp | undefined {
  const naive = NAIVE.exec(stamp);
  let ms: number;
  if (naive) {
    const [, date, hh = '00', mm = '00', ss = '00', frac = '0'] = naive;
    const wall = Date.parse(`${date}T${hh}:${mm}:${ss}.${frac.padEnd(3, '0').slice(0, 3)}Z`);
    if (Number.isNaN(wall)) return undefined;
    ms = wall - wallOffset(zone, wall) * 60_000;
  } else {
    ms = Date.parse(stamp);
    if (Number.isNaN(ms)) return undefined;
  }
  const offset = formatOffset(cachedOffset(zone, ms));
  const localDate = naive?.[1] ?? toLocalIso(ms, offset).slice(0, 10);
  const dayOffset = formatOffset(wallOffset(zone, Date.parse(`${localDate}T00:00:00Z`)));
  return { ms, offset, localDate, dayOffset };
}

/** zoneOffsetAt (src/fhir/zones.ts) on the cache below: the offset around a wall-clock time. */
function wallOffset(zone: string, wallMs: number): number {
  const first = cachedOffset(zone, wallMs);
  return cachedOffset(zone, wallMs - first * 60_000);
}

// NOTE: Intl's formatToParts was the migration's costliest call (a year of history asks for the
// same few offsets thousands of times). Zone offsets change only at whole quarter hours of UTC, so
// one answer per zone and quarter hour is exact.
const QUARTER_HOUR_MS = 900_000;
const offsets = new Map<string, number>();

function cachedOffset(zone: string, ms: number): number {
  const key = `${zone}|${Math.floor(ms / QUARTER_HOUR_MS)}`;
  let minutes = offsets.get(key);
  if (minutes === undefined) {
    minutes = offsetAt(zone, ms);
    if (offsets.size >= 200_000) offsets.clear();
    offsets.set(key, minutes);
  }
  return minutes;
}

function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
