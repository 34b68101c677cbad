// Stored points -> Google Health JSON (docs/google-health.md §5): int64 as strings, offsets as
// durations, civil times with zero fields omitted, names only on identifiable types.

import type { DataTypeInfo } from '../catalog.ts';
import { civilDate, civilDateTimeAt, durationString, rfc3339 } from '../lib/time.ts';
import type { PersonProfile, Point, SourceId } from '../people/model.ts';

type Json = Record<string, unknown>;

/** The main value field of each simulated type and whether it is an int64 (string) or a double. */
const VALUE_FIELDS: Record<string, { field: string; int64: boolean }> = {
  steps: { field: 'count', int64: true },
  distance: { field: 'millimeters', int64: true },
  'active-energy-burned': { field: 'kcal', int64: false },
  'heart-rate': { field: 'beatsPerMinute', int64: true },
  'oxygen-saturation': { field: 'percentage', int64: false },
  weight: { field: 'weightGrams', int64: false },
  'body-fat': { field: 'percentage', int64: false },
};

function dataSourceOf(person: PersonProfile, point: Point, type: DataTypeInfo): Json {
  if (type.record === 'daily') return { recordingMethod: 'DERIVED', platform: 'FITBIT' };
  const device = sourceDevice(person, point.source);
  if (!device) return { recordingMethod: 'UNKNOWN' };
  const { platform, ...deviceJson } = device;
  const source: Json = { recordingMethod: 'PASSIVELY_MEASURED', device: deviceJson, platform };
  if (platform === 'HEALTH_CONNECT') source.application = { packageName: 'com.google.android.apps.fitness' };
  return source;
}

function sourceDevice(person: PersonProfile, source: SourceId) {
  if (source === 'tracker') return person.tracker;
  if (source === 'scale') return person.scale;
  return person.phone;
}

/** The union-field object, e.g. the value of "steps": {interval, count}. */
function unionValue(type: DataTypeInfo, point: Point): Json {
  const body: Json = {};
  if (type.record === 'interval') {
    body.interval = {
      startTime: rfc3339(point.start),
      startUtcOffset: durationString(point.startOffset),
      endTime: rfc3339(point.end),
      endUtcOffset: durationString(point.endOffset),
      civilStartTime: civilDateTimeAt(point.start, point.startOffset),
      civilEndTime: civilDateTimeAt(point.end, point.endOffset),
    };
  } else if (type.record === 'session') {
    // NOTE: the live sleep sample has no civil times on the session interval (§14.7).
    body.interval = {
      startTime: rfc3339(point.start),
      startUtcOffset: durationString(point.startOffset),
      endTime: rfc3339(point.end),
      endUtcOffset: durationString(point.endOffset),
    };
  } else if (type.record === 'sample') {
    body.sampleTime = {
      physicalTime: rfc3339(point.start),
      utcOffset: durationString(point.startOffset),
      civilTime: civilDateTimeAt(point.start, point.startOffset),
    };
  } else {
    body.date = civilDate(point.date ?? '1970-01-01');
  }
  const value = VALUE_FIELDS[type.id];
  if (value) body[value.field] = value.int64 ? String(point.value) : point.value;
  return point.fields ? Object.assign(body, point.fields) : body;
}

function pointName(person: PersonProfile, type: DataTypeInfo, point: Point): string | undefined {
  return type.identifiable && point.id
    ? `users/${person.id}/dataTypes/${type.id}/dataPoints/${point.id}`
    : undefined;
}

export function toDataPoint(person: PersonProfile, type: DataTypeInfo, point: Point): Json {
  const json: Json = {};
  const name = pointName(person, type, point);
  if (name) json.name = name;
  json.dataSource = dataSourceOf(person, point, type);
  json[type.unionField] = unionValue(type, point);
  return json;
}

/** NOTE: reconciled points carry no dataSource and name themselves dataPointName (§3.4, §5.3). */
export function toReconciledPoint(person: PersonProfile, type: DataTypeInfo, point: Point): Json {
  const json: Json = {};
  const name = pointName(person, type, point);
  if (name) json.dataPointName = name;
  json[type.unionField] = unionValue(type, point);
  return json;
}
