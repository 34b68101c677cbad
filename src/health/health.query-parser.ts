/**
 * Query parsing for the health API: pure, no I/O. Every bad input becomes a 400 naming its field.
 *
 *   parseTypes(['steps,heart_rate'])          -> ['steps', 'heart_rate']
 *   parseBound('start', '2026-02-30', zone)   -> throws 400 "start: not a valid date"
 *   parseRange({ start, end }, zone)          -> { from?, to? } with `end` before `start` refused
 *   encodeCursor / decodeCursor               -> opaque keyset on (effective_start, id)
 *
 * A date-only bound is the person's local day boundary (their time zone); a date-time without an
 * offset is read in that zone too. A space where a `+` offset belongs (an unencoded `+` in a URL
 * decodes to a space) is read as `+`.
 */
import { invalidField } from '../errors.ts';
import { isMeasurementType, MEASUREMENT_TYPES, type MeasurementType } from '../fhir/measurement.ts';
import { toRange } from '../fhir/store/fhir-dates.ts';
import type {
  Bound,
  ObservationKeyset,
  ObservationRange,
  ObservationSort,
} from '../fhir/store/observation-filter.ts';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/;
const SOURCE_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const ID_RE = /^[A-Za-z0-9.-]{1,64}$/;

/** Repeatable and comma-separated values -> distinct, trimmed, non-empty. */
export function splitList(values: string[] | string | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const list = (Array.isArray(values) ? values : [values]).flatMap((v) => v.split(','));
  return [...new Set(list.map((v) => v.trim()))];
}

export function parseTypes(values: string[] | string | undefined): MeasurementType[] | undefined {
  const list = splitList(values);
  if (list === undefined) return undefined;
  for (const t of list) {
    if (!isMeasurementType(t)) {
      throw invalidField('type', `unknown type "${t.slice(0, 40)}"; one of ${MEASUREMENT_TYPES.join(', ')}`);
    }
  }
  if (list.length === 0) throw invalidField('type', 'must name at least one type');
  return list as MeasurementType[];
}

export function parseSources(values: string[] | string | undefined): string[] | undefined {
  const list = splitList(values);
  if (list === undefined) return undefined;
  const bad = list.find((s) => !SOURCE_RE.test(s));
  if (bad !== undefined || list.length === 0)
    throw invalidField('source', 'must be vendor ids such as fitbit');
  return list;
}

export function parseBound(field: 'start' | 'end', raw: string, zone: string): Bound {
  const value = /^\S+ \d{2}:\d{2}$/.test(raw) ? raw.replace(' ', '+') : raw;
  const bad = () => invalidField(field, 'must be a date (YYYY-MM-DD) or an RFC 3339 date-time');
  if (DATE_RE.test(value)) {
    const range = toRange(value, zone);
    if (!range) throw bad();
    return { instant: new Date(range.start), date: value };
  }
  if (!DATE_TIME_RE.test(value)) throw bad();
  const range = toRange(value, zone);
  if (!range || !Number.isFinite(range.start)) throw bad();
  const instant = new Date(range.start);
  if (Number.isNaN(instant.getTime()) || instant.getUTCFullYear() < 1 || instant.getUTCFullYear() > 9999)
    throw bad();
  return { instant };
}

export function parseRange(
  query: { start?: string | undefined; end?: string | undefined },
  zone: string,
): ObservationRange {
  const from = query.start === undefined ? undefined : parseBound('start', query.start, zone);
  const to = query.end === undefined ? undefined : parseBound('end', query.end, zone);
  if (from && to) {
    const before = from.date && to.date ? to.date < from.date : to.instant.getTime() < from.instant.getTime();
    if (before) throw invalidField('end', 'must not be before start');
  }
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** True when a bound needs the person's time zone (a bare date or a date-time without offset). */
export function needsZone(raw: string | undefined): boolean {
  return raw !== undefined && !/(Z|[+-]\d{2}:\d{2}| \d{2}:\d{2})$/.test(raw);
}

export function encodeCursor(sort: ObservationSort, k: ObservationKeyset): string {
  return Buffer.from(`h1|${sort}|${k.startMicros}|${k.id}`).toString('base64url');
}

export function decodeCursor(text: string, sort: ObservationSort): ObservationKeyset {
  const bad = () => invalidField('cursor', 'is not a cursor of this list (or of another sort order)');
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(text)) throw bad();
  const parts = Buffer.from(text, 'base64url').toString('utf8').split('|');
  const [tag, s, micros, id] = parts;
  if (parts.length !== 4 || tag !== 'h1' || s !== sort) throw bad();
  if (!micros || !/^-?\d{1,17}$/.test(micros) || !id || !ID_RE.test(id)) throw bad();
  return { startMicros: micros, id };
}
