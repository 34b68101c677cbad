/**
 * Measurement -> FHIR R4 Observation. Pure and deterministic: the same measurement and context
 * give the same JSON, so an unchanged re-sync is a no-op write.
 *
 *   toObservation(m, { patientId, deviceId?, now, sourceUri }) -> Observation
 *   observationStatus(m, now)                                  -> 'preliminary' | 'final'
 *
 * - id and identifier: see ids.ts (patient + vendor + vendorKey).
 * - status: 'preliminary' until the measurement's local day (in its own offset) is over, then 'final'.
 * - effective[x]: daily aggregate -> effectiveDateTime 'YYYY-MM-DD' plus the utc-offset extension
 *   (day-precision, PA IG style; does not overlap the next day in `date` searches); point sample ->
 *   effectiveDateTime with offset; session or sample window -> effectivePeriod with offsets.
 * - intraday heart rate: valueQuantity = mean of the window, every sample in a component's
 *   valueSampledData whose origin time is effectivePeriod.start (heart-rate-window.ts).
 * - device: ctx.deviceId when given, else the deterministic Device id of the measurement's source;
 *   none for a value the person typed in (`source.userEntered`), which says so in `method` instead.
 * - sleep with a stage sequence: one more component, `sleep-stage-sequence`, whose valueSampledData
 *   holds a stage number per epoch from effectivePeriod.start (sleep-stages.ts).
 * - blood pressure: no valueQuantity (the R4 bp profile forbids it); systolic and diastolic are components.
 */
import type { Observation, ObservationComponent, Quantity } from '@medplum/fhirtypes';
import {
  BLOOD_PRESSURE_CODES,
  CODES,
  HEART_RATE_SAMPLES_CODE,
  OBSERVATION_CATEGORY_SYSTEM,
  SLEEP_STAGE_CODES,
  SLEEP_STAGE_SEQUENCE_CODE,
  type TypeCode,
  UCUM,
  USER_ENTERED_METHOD,
  UTC_OFFSET_EXTENSION,
  VENDOR_TAG_SYSTEM,
} from './codes.ts';
import { encodeSamples } from './heart-rate-window.ts';
import { deviceId, deviceIdentifier, deviceKey, observationId, observationIdentifier } from './ids.ts';
import { BLOOD_PRESSURE_PARTS, CANONICAL_UNIT, type Measurement, SLEEP_STAGES } from './measurement.ts';
import { encodeStages } from './sleep-stages.ts';
import { DAY_MS, localDayStartMs, parseOffset, toEpochMs, toLocalIso } from './time.ts';

export interface ObservationContext {
  /** FHIR id of the user's Patient. */
  patientId: string;
  /** FHIR id of the Device to reference; by default derived from the measurement's source. */
  deviceId?: string;
  /** Decides preliminary vs final. */
  now: Date;
  /** meta.source: where the data was read, e.g. 'https://health.googleapis.com/v4/users/me/dataTypes/steps'. */
  sourceUri: string;
}

const CATEGORY_DISPLAY = {
  'vital-signs': 'Vital Signs',
  activity: 'Activity',
  exam: 'Exam',
  laboratory: 'Laboratory',
} as const;

export function toObservation(m: Measurement, ctx: ObservationContext): Observation {
  const entry = CODES[m.type];
  if (m.unit !== CANONICAL_UNIT[m.type]) {
    throw new RangeError(`${m.type} must be in ${CANONICAL_UNIT[m.type]}, got ${m.unit}`);
  }
  if (!Number.isFinite(m.value)) throw new RangeError(`${m.type} value is not a finite number`);
  if (entry.panel) checkPanel(m);
  parseOffset(m.utcOffset);

  const identifier = observationIdentifier(ctx.patientId, m.source.vendor, m.vendorKey);
  const device = m.source.userEntered ? undefined : deviceReference(m, ctx);
  const obs: Observation = {
    resourceType: 'Observation',
    id: observationId(identifier),
    meta: {
      ...(entry.profile ? { profile: [entry.profile] } : {}),
      source: ctx.sourceUri,
      tag: [{ system: VENDOR_TAG_SYSTEM, code: m.source.vendor }],
    },
    ...(m.daily ? { extension: [{ url: UTC_OFFSET_EXTENSION, valueString: m.utcOffset }] } : {}),
    identifier: [identifier],
    status: observationStatus(m, ctx.now),
    category: [
      {
        coding: [
          {
            system: OBSERVATION_CATEGORY_SYSTEM,
            code: entry.category,
            display: CATEGORY_DISPLAY[entry.category],
          },
        ],
      },
    ],
    code: { coding: entry.coding.map((c) => ({ ...c })), text: entry.text },
    subject: { reference: `Patient/${ctx.patientId}` },
    ...effective(m),
    ...(device ? { device } : {}),
    ...(m.source.userEntered ? { method: userEnteredMethod() } : {}),
    ...(entry.panel ? {} : { valueQuantity: quantity(entry, m.value) }),
  };
  const component = components(m, entry);
  if (component.length > 0) obs.component = component;
  return obs;
}

/** 'preliminary' while the local day (or the record itself) is not over at `now`, else 'final'. */
export function observationStatus(m: Measurement, now: Date): 'preliminary' | 'final' {
  const dayEnd = localDayStartMs(m.localDate, m.utcOffset) + DAY_MS;
  const settledAt = Math.max(dayEnd, toEpochMs(m.end));
  return now.getTime() >= settledAt ? 'final' : 'preliminary';
}

function effective(m: Measurement): Pick<Observation, 'effectiveDateTime' | 'effectivePeriod'> {
  if (m.daily) return { effectiveDateTime: m.localDate };
  if (m.samples && m.samples.length > 0) {
    // The SampledData origin time is the period start, so it must be the first sample exactly.
    const first = m.samples[0]!.at;
    const last = m.samples[m.samples.length - 1]!.at;
    return { effectivePeriod: { start: toLocalIso(first, m.utcOffset), end: toLocalIso(last, m.utcOffset) } };
  }
  const start = toEpochMs(m.start);
  const end = toEpochMs(m.end);
  if (start === end) return { effectiveDateTime: toLocalIso(start, m.utcOffset) };
  return { effectivePeriod: { start: toLocalIso(start, m.utcOffset), end: toLocalIso(end, m.utcOffset) } };
}

function components(m: Measurement, entry: TypeCode): ObservationComponent[] {
  const out: ObservationComponent[] = [];
  if (entry.panel) {
    for (const part of BLOOD_PRESSURE_PARTS) {
      out.push({
        code: { coding: [{ ...BLOOD_PRESSURE_CODES[part] }] },
        valueQuantity: quantity(entry, m.components?.[part] as number),
      });
    }
    return out;
  }
  if (m.components) {
    for (const stage of SLEEP_STAGES) {
      const minutes = m.components[stage];
      if (minutes === undefined) continue;
      out.push({
        code: { coding: [{ ...SLEEP_STAGE_CODES[stage] }] },
        valueQuantity: quantity(entry, minutes),
      });
    }
  }
  if (m.type === 'sleep' && m.stages && m.stages.length > 0) {
    const sequence = encodeStages(m.stages, m.start);
    if (sequence) {
      out.push({
        code: { coding: [{ ...SLEEP_STAGE_SEQUENCE_CODE }] },
        valueSampledData: {
          origin: { value: 0 },
          period: sequence.period,
          dimensions: 1,
          data: sequence.data,
        },
      });
    }
  }
  if (m.samples && m.samples.length > 0) {
    const { period, data } = encodeSamples(m.samples);
    out.push({
      code: { coding: [{ ...HEART_RATE_SAMPLES_CODE }] },
      valueSampledData: {
        origin: { value: 0, unit: entry.ucumDisplay, system: UCUM, code: entry.ucum },
        period,
        dimensions: 1,
        data,
      },
    });
  }
  return out;
}

function userEnteredMethod(): Observation['method'] {
  return { coding: USER_ENTERED_METHOD.coding.map((c) => ({ ...c })), text: USER_ENTERED_METHOD.text };
}

/** A blood-pressure reading needs both pressures, and its value is the systolic one. */
function checkPanel(m: Measurement): void {
  for (const part of BLOOD_PRESSURE_PARTS) {
    if (!Number.isFinite(m.components?.[part])) throw new RangeError(`${m.type} needs components.${part}`);
  }
  if (m.components?.systolic !== m.value)
    throw new RangeError(`${m.type} value must equal components.systolic`);
}

function quantity(entry: TypeCode, value: number): Quantity {
  return { value, unit: entry.ucumDisplay, system: UCUM, code: entry.ucum };
}

function deviceReference(m: Measurement, ctx: ObservationContext): Observation['device'] {
  const name = m.source.deviceName;
  if (ctx.deviceId) return { reference: `Device/${ctx.deviceId}`, ...(name ? { display: name } : {}) };
  const key = deviceKey(m.source);
  if (key === undefined) return undefined;
  const id = deviceId(deviceIdentifier(ctx.patientId, m.source.vendor, key));
  return { reference: `Device/${id}`, ...(name ? { display: name } : {}) };
}
