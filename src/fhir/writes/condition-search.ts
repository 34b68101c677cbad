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
import { applyResultParam, newResultParams } from '../api/result-params.ts';
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
  const state = newResultParams<ConditionSort>('-recorded-date');
  const query: ConditionQuery = { sort: state.sort, limit: state.limit };
  for (const [key, value] of Object.entries(raw)) {
    const values = (Array.isArray(value) ? value : [value]).map(String);
    if (applyResultParam(state, key, values, { patientId: ctx.patientId, sorts: SORTS })) continue;
    if (key === '_id') {
      query.ids = values.flatMap((v) => v.split(','));
      for (const v of values) state.used.push([key, v]);
    } else state.ignored.push(key);
  }
  query.sort = state.sort;
  query.limit = state.summaryCount ? 0 : state.limit;
  if (state.cursor !== undefined) {
    const after = decodeCursor(state.cursor, cursorSortOf(query.sort));
    if (!after) throw invalidField('_cursor', 'is not a cursor of this search');
    query.after = after;
  }
  return {
    query,
    foreignPatient: state.foreignPatient,
    total: state.total || state.summaryCount,
    used: state.used,
    ignored: state.ignored,
  };
}
