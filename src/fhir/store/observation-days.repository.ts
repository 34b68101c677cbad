/**
 * Per local day and source, the aggregates of a person's Observations of one type: from the per-day
 * rollup `observation_days` (kept by triggers on the store's table, migrations 0007, 0011, 0015)
 * or from the observations themselves. Query builders, composed into the health summary's one
 * prepared statement (src/health/summary.repository.ts).
 *
 *   dayRowsQuery(db, userId, type, range)             -> [{ local_date, source, n_values, min, max, sum }]
 *   recentDaysJson(userId, type, until, days)         -> a scalar: {source: days with data} as JSON text
 *   recentDaysBySource(db, userId, types, until, days) -> [{ type, source, days }]
 */
import { type SqlBool, sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { MeasurementType } from '../measurement.ts';
import { observationConditions } from './observation-conditions.ts';
import type { ObservationRange } from './observation-filter.ts';

// What one row contributes to a summary, as the rollup's triggers count it (migration 0011): a
// window of samples its readings, any other Observation its value.
const rowValues = sql`coalesce(sample_count, (value is not null)::int)`;
const rowMin = sql`case when sample_count is null then value else sample_min end`;
const rowMax = sql`case when sample_count is null then value else sample_max end`;
const rowSum = sql`case when sample_count is null then value else sample_sum end`;

/**
 * One row per local day and source with data. Values are each Observation's
 * `valueQuantity.value`, and for a window of samples (intraday heart rate) its samples: values =
 * readings, min/max the lowest and highest reading, sum of every reading (migration 0011).
 *
 * Bounds that are local dates (or none) read the per-day rollup `observation_days` (kept by
 * triggers, migrations 0007 and 0015): equality on its key prefix (user, type), a date range; a
 * year of hourly heart-rate windows is 365 rows per source, not 8,760. A bound with a time of day
 * cuts through a day, so those summaries aggregate the observations themselves, through the
 * (user, type, date) index.
 */
export function dayRowsQuery(db: Db, userId: number, type: string, range: ObservationRange) {
  const byDay = [range.from, range.to].every((b) => b === undefined || b.date !== undefined);
  if (byDay) {
    return db
      .selectFrom('observation_days')
      .select(['local_date', 'source', 'n_values', 'min', 'max', 'sum'])
      .where('user_id', '=', userId)
      .where('type', '=', type)
      .$if(range.from !== undefined, (q) => q.where(sql<SqlBool>`local_date >= ${range.from?.date}::date`))
      .$if(range.to !== undefined, (q) => q.where(sql<SqlBool>`local_date < ${range.to?.date}::date`));
  }
  const source = sql<string>`coalesce(source_vendor, '')`;
  return db
    .selectFrom('fhir_resources')
    .select([
      sql<string>`local_date`.as('local_date'),
      source.as('source'),
      sql<number>`sum(${rowValues})::int`.as('n_values'),
      sql<number | null>`min(${rowMin})`.as('min'),
      sql<number | null>`max(${rowMax})`.as('max'),
      sql<number | null>`sum(${rowSum})`.as('sum'),
    ])
    .where((eb) =>
      eb.and(observationConditions(eb, userId, { types: [type as MeasurementType], ...range }, 'local')),
    )
    .where('local_date', 'is not', null)
    .groupBy(['local_date', source]);
}

/**
 * Per type and source, its local days with data among the `days` local days up to `until`
 * ('YYYY-MM-DD', included): what "the source worn most" reads (src/health/source-priority.ts).
 * Equality on (user, type) for each type, a date range: a few index entries per type.
 */
export async function recentDaysBySource(
  db: Db,
  userId: number,
  types: readonly string[],
  until: string,
  days: number,
): Promise<{ type: string; source: string; days: number }[]> {
  if (types.length === 0) return [];
  return db
    .selectFrom('observation_days')
    .select(['type', 'source', sql<number>`count(*)::int`.as('days')])
    .where('user_id', '=', userId)
    .where('type', 'in', [...types])
    .where(sql<SqlBool>`local_date > ${until}::date - ${days}::int`)
    .where(sql<SqlBool>`local_date <= ${until}::date`)
    .groupBy(['type', 'source'])
    .execute();
}

/** Per source, its local days with data among the `days` days up to `until` (included), as JSON text. */
export function recentDaysJson(userId: number, type: string, until: string, days: number) {
  return sql<string | null>`(select json_object_agg(source, n)::text from (
          select source, count(*)::int as n from observation_days
          where user_id = ${userId} and type = ${type}
            and local_date > ${until}::date - ${sql.lit(days)} and local_date <= ${until}::date
          group by source) r)`;
}
