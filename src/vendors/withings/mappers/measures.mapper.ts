/**
 * Withings `getmeas` measure groups -> measurements: one per (group, type), a point in time.
 *
 *   mapMeasureGroups(body, { userId, fallbackZone? }) -> { measurements, skipped }
 *
 * - Real measures only (category 1); a goal (category 2) is skipped.
 * - attrib 1 (a shared scale could not tell whose) and 4 (typed in at account creation) are
 *   skipped; attrib 2 is the person's own entry: `source.userEntered`, no device. Any other attrib
 *   (0, 5, 7, 8, 15, undocumented ones) is device-captured.
 * - Values are `value x 10^unit` (scaleValue), height m -> cm; 9 (diastolic) + 10 (systolic) of a
 *   group make one blood_pressure, an 11 beside them a separate heart_rate point.
 * - The time is the group's `date` in the offset `body.timezone` had at that instant.
 * - Key: `<userid>:<grpid>:<type>`, so a re-sync, an edit or a late copy of the group updates the
 *   same Observation; a second value for the same key is skipped as a duplicate.
 */
import { CANONICAL_UNIT, type Measurement, type MeasurementType } from '../../../fhir/measurement.ts';
import { localDateOf } from '../../../fhir/time.ts';
import { MEASTYPE_TYPES, modelName, type WithingsMeasType } from './catalog.ts';
import {
  checkedUserId,
  emptyResult,
  epochSeconds,
  idText,
  localTimeIn,
  MANUFACTURER,
  scaleValue,
  skip,
  VENDOR,
  type WithingsMapContext,
  type WithingsMapResult,
  zoneOf,
} from './parse.ts';
import type { GetMeasBody, Measure, MeasureGroup } from './withings.types.ts';

const AMBIGUOUS = 1;
const MANUAL = 2;
const AT_CREATION = 4;
const REAL_MEASURE = 1;
const DIASTOLIC = 9;
const SYSTOLIC = 10;
// NOTE: 71 is "body temperature", 12 a plain "temperature": a group with both keeps 71.
const TEMPERATURE_PREFERENCE: readonly WithingsMeasType[] = [71, 12];

interface GroupContext {
  key: string;
  time: string;
  offset: string;
  source: Measurement['source'];
}

export function mapMeasureGroups(body: GetMeasBody, ctx: WithingsMapContext): WithingsMapResult {
  const userId = checkedUserId(ctx);
  const result = emptyResult();
  const seen = new Set<string>();
  const zone = zoneOf(body.timezone, ctx);
  for (const group of body.measuregrps ?? []) {
    if (group.category !== REAL_MEASURE) {
      skip(result, 'objective');
      continue;
    }
    if (group.attrib === AMBIGUOUS || group.attrib === AT_CREATION) {
      skip(result, group.attrib === AMBIGUOUS ? 'ambiguous' : 'creation_time');
      continue;
    }
    const grpid = idText(group.grpid);
    const date = epochSeconds(group.date);
    if (grpid === undefined || date === undefined) {
      skip(result, 'invalid');
      continue;
    }
    const { time, offset } = localTimeIn(zone, date);
    const g: GroupContext = { key: `${userId}:${grpid}`, time, offset, source: sourceOf(group) };
    for (const m of mapGroup(group.measures ?? [], g, result)) {
      if (seen.has(m.vendorKey)) {
        skip(result, 'duplicate');
        continue;
      }
      seen.add(m.vendorKey);
      result.measurements.push(m);
    }
  }
  return result;
}

/** One group's measures, first value per meastype, in the order they first appear. */
function mapGroup(measures: readonly Measure[], g: GroupContext, result: WithingsMapResult): Measurement[] {
  const byType = new Map<number, Measure>();
  for (const m of measures) {
    const type = m.type;
    if (typeof type !== 'number' || !(type in MEASTYPE_TYPES)) {
      skip(result, 'unsupported_type');
    } else if (byType.has(type)) {
      skip(result, 'duplicate');
    } else {
      byType.set(type, m);
    }
  }
  const out: Measurement[] = [];
  const temperature = TEMPERATURE_PREFERENCE.find((t) => byType.has(t));
  for (const [type, measure] of byType) {
    if (type === DIASTOLIC || type === SYSTOLIC) {
      if (type === SYSTOLIC || !byType.has(SYSTOLIC)) pushBloodPressure(byType, g, result, out);
      continue;
    }
    if ((type === 12 || type === 71) && type !== temperature) {
      skip(result, 'duplicate');
      continue;
    }
    const ourType = MEASTYPE_TYPES[type as WithingsMeasType];
    const value = realValue(measure, type === 4 ? 2 : 0); // NOTE: height comes in m; the canonical unit is cm.
    if (value === undefined) skip(result, 'invalid');
    else out.push(point(ourType, value, g));
  }
  return out;
}

function pushBloodPressure(
  byType: ReadonlyMap<number, Measure>,
  g: GroupContext,
  result: WithingsMapResult,
  out: Measurement[],
): void {
  const systolicMeasure = byType.get(SYSTOLIC);
  const diastolicMeasure = byType.get(DIASTOLIC);
  if (!systolicMeasure || !diastolicMeasure) {
    skip(result, 'incomplete');
    return;
  }
  const systolic = realValue(systolicMeasure, 0);
  const diastolic = realValue(diastolicMeasure, 0);
  if (systolic === undefined || diastolic === undefined) {
    skip(result, 'invalid');
    return;
  }
  out.push({ ...point('blood_pressure', systolic, g), components: { systolic, diastolic } });
}

/** The measure's real value, times 10^extraPower (a unit change), or undefined when it does not parse. */
function realValue(m: Measure, extraPower: number): number | undefined {
  if (typeof m.value !== 'number' || typeof m.unit !== 'number') return undefined;
  try {
    return scaleValue(m.value, m.unit + extraPower);
  } catch {
    return undefined;
  }
}

function point(type: MeasurementType, value: number, g: GroupContext): Measurement {
  return {
    type,
    value,
    unit: CANONICAL_UNIT[type],
    start: g.time,
    end: g.time,
    utcOffset: g.offset,
    localDate: localDateOf(g.time, g.offset),
    source: g.source,
    vendorKey: `${g.key}:${type}`,
    daily: false,
  };
}

/** A manual entry names no device; a captured one names the scale or monitor, when the group does. */
function sourceOf(group: MeasureGroup): Measurement['source'] {
  if (group.attrib === MANUAL) return { vendor: VENDOR, userEntered: true };
  const deviceId = group.deviceid || group.hash_deviceid || undefined;
  const deviceName = modelName(group.model, group.modelid ?? group.model_id);
  return {
    vendor: VENDOR,
    ...(deviceId ? { deviceId } : {}),
    ...(deviceName ? { deviceName } : {}),
    ...(deviceId || deviceName ? { manufacturer: MANUFACTURER } : {}),
  };
}
