/**
 * The WHERE clause every health read shares (pages, exports, summaries): the owner, Observation
 * rows, and an `effective_start` bound so the (user_id, type, effective_start desc, id desc) index
 * drives the query.
 *
 *   observationConditions(eb, userId, filter, dateMode?) -> the conditions, to `eb.and(...)`
 *
 * A daily total (a date-only effectiveDateTime: a [local midnight, +24 h) range) matches a
 * date-only bound by its `local_date`; everything else by its instant. The effective_start bound
 * for the index is widened by a day so those daily rows (at most ±14 h away) are still scanned.
 */
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Bound, ObservationFilter } from './observation-filter.ts';

type Eb = ExpressionBuilder<Database, 'fhir_resources'>;

/**
 * `dateMode`: 'mixed' (observations: daily totals by local date, the rest by instant) or
 * 'local' (summary: every row by its local date, so buckets and bounds agree).
 */
export function observationConditions(
  eb: Eb,
  userId: number,
  filter: ObservationFilter,
  dateMode: 'mixed' | 'local' = 'mixed',
): Expression<SqlBool>[] {
  // 'Observation' as a literal: the partial indexes' predicate must match a prepared (generic) plan.
  const out: Expression<SqlBool>[] = [
    eb('user_id', '=', userId),
    sql<SqlBool>`resource_type = 'Observation'`,
  ];
  const types = filter.types;
  if (types && types.length === 1) out.push(eb('type', '=', types[0]!));
  else if (types) out.push(eb('type', 'in', types));
  else out.push(eb('type', 'is not', null));
  if (filter.sources) out.push(eb('source_vendor', 'in', filter.sources));
  out.push(eb('effective_start', '>', sql<Date>`'-infinity'::timestamptz`));
  out.push(eb('effective_start', '<', sql<Date>`'infinity'::timestamptz`));
  if (filter.from) out.push(...bound(eb, filter.from, '>=', dateMode));
  if (filter.to) out.push(...bound(eb, filter.to, '<', dateMode));
  return out;
}

function bound(eb: Eb, b: Bound, op: '>=' | '<', dateMode: 'mixed' | 'local'): Expression<SqlBool>[] {
  if (b.date === undefined) return [eb('effective_start', op, b.instant)];
  // In SQL, not JS: the queries are compiled once per shape with the values as parameters.
  const widened = sql<Date>`${b.instant}::timestamptz ${sql.raw(op === '>=' ? '-' : '+')} interval '24 hours'`;
  const byDate = sql<SqlBool>`local_date ${sql.raw(op)} ${b.date}::date`;
  if (dateMode === 'local') return [eb('effective_start', op, widened), byDate];
  const byInstant = sql<SqlBool>`effective_start ${sql.raw(op)} ${b.instant}`;
  return [
    eb('effective_start', op, widened),
    sql<SqlBool>`(case when daily then ${byDate} else ${byInstant} end)`,
  ];
}
