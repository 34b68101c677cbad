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
import { applyResultParam, newResultParams } from './result-params.ts';

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

export function parseObservationSearch(
  raw: Record<string, unknown>,
  ctx: { patientId: string; zone: string },
): ParsedSearch {
  const state = newResultParams<ObservationSort>('-date');
  const query: ObservationQuery = { sort: state.sort, limit: state.limit };
  const codes: TokenCondition[][] = [];
  const categories: TokenCondition[][] = [];
  const dateFilters: DateCondition[][] = [];
  const lastUpdated: DateCondition[][] = [];

  for (const [key, value] of Object.entries(raw)) {
    const values = (Array.isArray(value) ? value : [value]).map(String);
    if (applyResultParam(state, key, values, { patientId: ctx.patientId, sorts: SORTS })) continue;
    const use = () => {
      for (const v of values) state.used.push([key, v]);
    };
    switch (key) {
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
      default:
        state.ignored.push(key);
    }
  }
  if (codes.length > 0) query.codes = codes;
  if (categories.length > 0) query.categories = categories;
  if (dateFilters.length > 0) query.dates = dateFilters;
  if (lastUpdated.length > 0) query.lastUpdated = lastUpdated;
  query.sort = state.sort;
  query.limit = state.summaryCount ? 0 : state.limit;
  if (state.cursor !== undefined) {
    const after = decodeCursor(state.cursor, query.sort);
    if (!after) throw invalidField('_cursor', 'is not a cursor of this search');
    query.after = after;
  }
  return {
    query,
    foreignPatient: state.foreignPatient,
    summaryCount: state.summaryCount,
    total: state.total || state.summaryCount,
    used: state.used,
    ignored: state.ignored,
  };
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
