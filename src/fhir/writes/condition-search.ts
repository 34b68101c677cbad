/**
 * Condition search parameters -> a query (pure).
 *
 *   parseConditionSearch(raw, { patientId }) -> { query, foreignPatient, total, used, ignored }
 *
 * Supported: `patient`/`subject` (the caller's own; someone else's gives an empty Bundle),
 * `_id`, `_count` (default 50, clamped to 500), `_sort` (`-recorded-date` default, `recorded-date`,
 * `_lastUpdated`, `-_lastUpdated`), `_total`, `_summary=count`, `_cursor`. Others are ignored and
 * reported in the Bundle's outcome entry, as for Observation.
 */
import { invalidField } from '../../errors.ts';
import { MAX_COUNT } from '../api/search-params.ts';
import type { ConditionQuery, ConditionSort } from '../store/condition-query.repository.ts';
import { decodeCursor } from '../store/cursor.ts';
import type { ObservationSort } from '../store/observation-query.repository.ts';

export interface ParsedConditionSearch {
  query: ConditionQuery;
  foreignPatient: boolean;
  total: boolean;
  used: [string, string][];
  ignored: string[];
}

const SORTS = new Set<ConditionSort>(['recorded-date', '-recorded-date', '_lastUpdated', '-_lastUpdated']);
const SILENT = new Set(['_format', '_pretty']);

/** The cursor format is shared with Observation search; recorded-date keysets travel as `date`. */
export function cursorSortOf(sort: ConditionSort): ObservationSort {
  if (sort === '-recorded-date') return '-date';
  if (sort === 'recorded-date') return 'date';
  return sort;
}

export function parseConditionSearch(
  raw: Record<string, unknown>,
  ctx: { patientId: string },
): ParsedConditionSearch {
  const query: ConditionQuery = { sort: '-recorded-date', limit: 50 };
  const out: ParsedConditionSearch = { query, foreignPatient: false, total: false, used: [], ignored: [] };
  let cursor: string | undefined;
  let summaryCount = false;
  for (const [key, value] of Object.entries(raw)) {
    const values = (Array.isArray(value) ? value : [value]).map(String);
    const use = () => {
      for (const v of values) out.used.push([key, v]);
    };
    switch (key) {
      case 'patient':
      case 'subject':
      case 'patient:Patient':
      case 'subject:Patient':
        for (const v of values)
          if (!v.split(',').some((r) => refersTo(r, ctx.patientId))) out.foreignPatient = true;
        use();
        break;
      case '_id':
        query.ids = values.flatMap((v) => v.split(','));
        use();
        break;
      case '_count': {
        const n = Number(values[values.length - 1]);
        if (!Number.isInteger(n) || n < 0) throw invalidField('_count', 'must be a non-negative integer');
        query.limit = Math.min(n, MAX_COUNT);
        if (n === 0) out.total = true;
        out.used.push([key, String(query.limit)]);
        break;
      }
      case '_sort': {
        const [first, ...rest] = values.flatMap((v) => v.split(','));
        if (first && SORTS.has(first as ConditionSort) && rest.length === 0) {
          query.sort = first as ConditionSort;
          use();
        } else out.ignored.push(`${key}=${values.join(',')}`);
        break;
      }
      case '_summary':
        if (values.includes('count')) {
          summaryCount = true;
          use();
        } else out.ignored.push(`${key}=${values.join(',')}`);
        break;
      case '_total':
        out.total = values.some((v) => v === 'estimate' || v === 'accurate');
        use();
        break;
      case '_cursor':
        cursor = values[values.length - 1];
        break;
      default:
        if (!SILENT.has(key)) out.ignored.push(key);
    }
  }
  if (summaryCount) {
    out.total = true;
    query.limit = 0;
  }
  if (cursor !== undefined) {
    const after = decodeCursor(cursor, cursorSortOf(query.sort));
    if (!after) throw invalidField('_cursor', 'is not a cursor of this search');
    query.after = after;
  }
  return out;
}

function refersTo(ref: string, patientId: string): boolean {
  return ref === patientId || ref === `Patient/${patientId}` || ref.endsWith(`/Patient/${patientId}`);
}
