// The admin's edits, as pure builders: a group added by hand or from a device, an edited group
// (its `modified` moves to now), an activity row with fields set, and a sleep series added or changed.

import { localDateOf } from '../../lib/time.ts';
import type { PersonProfile } from '../../people/model.ts';
import { type DeviceKind, deviceOf } from '../devices.ts';
import type {
  ActivityFields,
  ActivityRow,
  ActivitySource,
  Measure,
  MeasureGroup,
  SleepSeries,
} from '../withings.types.ts';
import { activityRow } from './activity.ts';

export interface MeasureGroupInput {
  /** Epoch seconds of the measurement. */
  date: number;
  /** Withings' integers: the real value is value × 10^unit. */
  measures: Measure[];
  /** Default 0 with a device, 2 (entered by hand) without. */
  attrib?: number;
  /** Default the scale for body types, the cuff for blood pressure; null = entered by hand. */
  device?: DeviceKind | null;
  category?: number;
  /** Epoch seconds it reached Withings (default now; later than now = not visible yet). */
  created?: number;
}

export interface MeasureGroupChanges {
  date?: number;
  measures?: Measure[];
  attrib?: number;
}

export interface SleepSummaryInput {
  /** An existing series id to change; absent = a new series. */
  id?: number;
  startdate?: number;
  enddate?: number;
  /** Data fields to set (merged into the series' data). */
  data?: Record<string, number | null>;
  device?: 'sleepAnalyzer' | 'watch';
}

const BP_TYPES = new Set([9, 10]);
const WATCH_TYPES = new Set([54]);

export function addedGroup(person: PersonProfile, input: MeasureGroupInput, grpid: number, nowSec: number): MeasureGroup {
  if (!Array.isArray(input.measures) || input.measures.length === 0) throw new Error('measures are required');
  const types = [...new Set(input.measures.map((m) => m.type))];
  const defaultKind: DeviceKind = types.some((t) => BP_TYPES.has(t))
    ? 'bpCuff'
    : types.some((t) => WATCH_TYPES.has(t))
      ? 'watch'
      : 'scale';
  const kind = input.device === undefined ? defaultKind : input.device;
  const device = kind ? deviceOf(person, kind) : undefined;
  if (kind && !device) throw new Error(`Person ${person.id} has no Withings ${kind}`);
  const created = input.created ?? nowSec;
  return {
    grpid,
    attrib: input.attrib ?? (device ? 0 : 2),
    date: input.date,
    created,
    modified: created,
    category: input.category ?? 1,
    deviceid: device?.deviceid ?? null,
    hash_deviceid: device?.deviceid ?? null,
    measures: input.measures.map((m) => ({ ...m })),
    modelid: device?.modelId ?? null,
    model: device?.model ?? null,
    comment: null,
  };
}

/** NOTE: an edit bumps `modified` to now, as Withings does for a changed group (docs/withings.md, The sandbox emulator). */
export function editedGroup(current: MeasureGroup, changes: MeasureGroupChanges, nowSec: number): MeasureGroup {
  return {
    ...current,
    ...(changes.date !== undefined ? { date: changes.date } : {}),
    ...(changes.attrib !== undefined ? { attrib: changes.attrib } : {}),
    measures: (changes.measures ?? current.measures).map((m) => ({ ...m })),
    modified: Math.max(nowSec, current.modified),
  };
}

const ZERO_DAY: ActivityFields = {
  steps: 0,
  distance: 0,
  elevation: 0,
  soft: 0,
  moderate: 0,
  intense: 0,
  active: 0,
  calories: 0,
  totalcalories: 0,
};

/** A natural row (or an empty one) with the admin's fields on top. */
export function editedActivityRow(
  person: PersonProfile,
  date: string,
  source: ActivitySource,
  row: ActivityRow | undefined,
  edit: { fields: Partial<ActivityFields>; modified: number },
): ActivityRow {
  const base = row ?? activityRow(person, date, source, ZERO_DAY, edit.modified);
  return { ...base, ...edit.fields, modified: Math.max(base.modified, edit.modified) };
}

export function editedSleepSeries(current: SleepSeries, input: SleepSummaryInput, nowSec: number): SleepSeries {
  const enddate = input.enddate ?? current.enddate;
  return {
    ...current,
    startdate: input.startdate ?? current.startdate,
    enddate,
    date: localDateOf(current.timezone, enddate * 1000),
    data: { ...current.data, ...(input.data ?? {}) },
    modified: Math.max(nowSec, current.modified),
  };
}

export function newSleepSeries(person: PersonProfile, input: SleepSummaryInput, id: number, nowSec: number): SleepSeries {
  if (input.startdate === undefined || input.enddate === undefined || input.enddate <= input.startdate)
    throw new Error('startdate < enddate are required for a new sleep summary');
  const kind = input.device ?? (person.withings.sleepAnalyzer ? 'sleepAnalyzer' : 'watch');
  const device = deviceOf(person, kind);
  if (!device) throw new Error(`Person ${person.id} has no Withings ${kind}`);
  return {
    id,
    timezone: person.timeZone,
    model: kind === 'watch' ? 16 : 32,
    model_id: device.modelId,
    hash_deviceid: device.deviceid,
    startdate: input.startdate,
    enddate: input.enddate,
    date: localDateOf(person.timeZone, input.enddate * 1000),
    data: { ...(input.data ?? {}) },
    created: nowSec,
    modified: nowSec,
  };
}
