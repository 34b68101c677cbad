/**
 * Observation search parameters -> a store query (pure).
 *
 *   parseObservationSearch(rawQuery, { patientId, zone }) -> ParsedSearch
 *
 * Unknown or unsupported parameters are ignored and listed in `ignored` (reported back in the
 * Bundle); a syntactically bad value of a supported parameter is a 400 naming it. `_count` above
 * the cap is clamped, not refused.
 */
import { invalidField } from '../../errors.ts';
import { decodeCursor } from '../store/cursor.ts';
import { toRange } from '../store/fhir-dates.ts';
import type {
  DateCondition,
  DatePrefix,
  ObservationQuery,
  ObservationSort,
  TokenCondition,
} from '../store/observation-query.repository.ts';

export const MAX_COUNT = 500;
export const DEFAULT_COUNT = 50;

export interface ParsedSearch {
  query: ObservationQuery;
  /** `patient`/`subject` named someone other than the caller: answer an empty Bundle. */
  foreignPatient: boolean;
  summaryCount: boolean;
  total: boolean;
  /** Parameters used, as given (for the self link), without _cursor. */
  used: [string, string][];
  ignored: string[];
}

const PREFIXES = new Set(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);
const SORTS = new Set<ObservationSort>(['date', '-date', '_lastUpdated', '-_lastUpdated']);
const SILENT = new Set(['_format', '_pretty']);

export function parseObservationSearch(
  raw: Record<string, unknown>,
  ctx: { patientId: string; zone: string },
): ParsedSearch {
  const query: ObservationQuery = { sort: '-date', limit: DEFAULT_COUNT };
  const codes: TokenCondition[][] = [];
  const categories: TokenCondition[][] = [];
  const dateFilters: DateCondition[][] = [];
  const lastUpdated: DateCondition[][] = [];
  const out: ParsedSearch = {
    query,
    foreignPatient: false,
    summaryCount: false,
    total: false,
    used: [],
    ignored: [],
  };
  let cursor: string | undefined;

  for (const [key, value] of Object.entries(raw)) {
    const values = (Array.isArray(value) ? value : [value]).map(String);
    const [name, modifier] = key.split(':') as [string, string | undefined];
    const use = () => {
      for (const v of values) out.used.push([key, v]);
    };
    if (modifier !== undefined && !((name === 'patient' || name === 'subject') && modifier === 'Patient')) {
      out.ignored.push(key);
      continue;
    }
    switch (name) {
      case 'patient':
      case 'subject':
        for (const v of values) {
          if (!v.split(',').some((ref) => refersTo(ref, ctx.patientId))) out.foreignPatient = true;
        }
        use();
        break;
      case 'code':
        codes.push(...values.map((v) => tokens(v, key)));
        use();
        break;
      case 'category':
        categories.push(...values.map((v) => tokens(v, key)));
        use();
        break;
      case 'status':
        query.statuses = values.flatMap((v) => v.split(','));
        use();
        break;
      case '_id':
        query.ids = values.flatMap((v) => v.split(','));
        use();
        break;
      case 'identifier':
        query.identifiers = values.flatMap((v) => splitOr(v)).map(unescapeToken);
        use();
        break;
      case 'date':
        dateFilters.push(...values.map((v) => dates(v, key, ctx.zone)));
        use();
        break;
      case '_lastUpdated':
        lastUpdated.push(...values.map((v) => dates(v, key, ctx.zone)));
        use();
        break;
      case '_count': {
        const n = Number(values[values.length - 1]);
        if (!Number.isInteger(n) || n < 0) throw invalidField('_count', 'must be a non-negative integer');
        query.limit = Math.min(n, MAX_COUNT);
        if (n === 0) out.summaryCount = true;
        out.used.push([key, String(query.limit)]);
        break;
      }
      case '_sort': {
        const [first, ...rest] = values.flatMap((v) => v.split(','));
        if (first && SORTS.has(first as ObservationSort) && rest.length === 0) {
          query.sort = first as ObservationSort;
          use();
        } else out.ignored.push(`${key}=${values.join(',')}`);
        break;
      }
      case '_summary':
        if (values.includes('count')) {
          out.summaryCount = true;
          use();
        } else if (!values.every((v) => v === 'false')) out.ignored.push(`${key}=${values.join(',')}`);
        break;
      case '_total':
        if (values.every((v) => v === 'none' || v === 'estimate' || v === 'accurate')) {
          out.total = values.some((v) => v !== 'none');
          use();
        } else out.ignored.push(`${key}=${values.join(',')}`);
        break;
      case '_cursor':
        cursor = values[values.length - 1];
        break;
      default:
        if (!SILENT.has(name)) out.ignored.push(key);
    }
  }
  if (codes.length > 0) query.codes = codes;
  if (categories.length > 0) query.categories = categories;
  if (dateFilters.length > 0) query.dates = dateFilters;
  if (lastUpdated.length > 0) query.lastUpdated = lastUpdated;
  if (out.summaryCount) {
    out.total = true;
    query.limit = 0;
  }
  if (cursor !== undefined) {
    const after = decodeCursor(cursor, query.sort);
    if (!after) throw invalidField('_cursor', 'is not a cursor of this search');
    query.after = after;
  }
  return out;
}

/** `123`, `Patient/123`, or an absolute `…/Patient/123` all name Patient 123. */
function refersTo(ref: string, patientId: string): boolean {
  return ref === patientId || ref === `Patient/${patientId}` || ref.endsWith(`/Patient/${patientId}`);
}

/** Splits on commas not escaped with a backslash. */
function splitOr(value: string): string[] {
  return value.split(/(?<!\\),/);
}

function unescapeToken(value: string): string {
  return value.replace(/\\([\\|,$])/g, '$1');
}

function tokens(value: string, key: string): TokenCondition[] {
  return splitOr(value).map((part) => {
    const bar = part.search(/(?<!\\)\|/);
    if (bar < 0) return { code: unescapeToken(part) };
    const system = unescapeToken(part.slice(0, bar));
    const code = unescapeToken(part.slice(bar + 1));
    if (code === '') throw invalidField(key, 'a code is required (system| alone is not supported)');
    return system === '' ? { code } : { system, code };
  });
}

function dates(value: string, key: string, zone: string): DateCondition[] {
  return value.split(',').map((part) => {
    const prefix = PREFIXES.has(part.slice(0, 2)) ? (part.slice(0, 2) as DatePrefix) : 'eq';
    // NOTE: an unencoded '+' of an offset arrives as a space (form decoding of the query string).
    const text = (PREFIXES.has(part.slice(0, 2)) ? part.slice(2) : part).replace(/ (\d{2}:\d{2})$/, '+$1');
    const range = toRange(text, zone);
    if (!range) throw invalidField(key, `not a FHIR date: ${part}`);
    return { prefix, start: range.start, end: range.end };
  });
}
