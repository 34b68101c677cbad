/**
 * Health API summaries: per local day, week or month, one source per day (docs/sources.md), from
 * the per-day rollup `observation_days` when the bounds are dates, else from the observations
 * themselves (src/health/conditions.ts). Prepared statements compiled once per shape
 * (src/db/prepared.ts).
 *
 *   summarize(db, userId, type, range, bucket, order) -> [{ bucket, count, min, max, avg, sum, sources }]
 *   recentDaysBySource(db, userId, types, until, days) -> [{ type, source, days }]
 */
import { type SqlBool, sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { preparedStatement } from '../db/prepared.ts';
import { observationConditions } from './conditions.ts';
import type { Bound, HealthFilter, HealthRange } from './health.query-parser.ts';

export type Bucket = 'day' | 'week' | 'month';

// What one row contributes to a summary, as the rollup's triggers count it (migration 0011): a
// window of samples its readings, any other Observation its value.
const rowValues = sql`coalesce(sample_count, (value is not null)::int)`;
const rowMin = sql`case when sample_count is null then value else sample_min end`;
const rowMax = sql`case when sample_count is null then value else sample_max end`;
const rowSum = sql`case when sample_count is null then value else sample_sum end`;

export interface BucketRow {
  bucket: string;
  count: number;
  min: number | null;
  max: number | null;
  avg: number | null;
  sum: number | null;
  /** The sources chosen on the bucket's days, with how many days each: most days first. null: untagged rows. */
  sources: { source: string | null; days: number }[];
}

interface SummaryInput {
  userId: number;
  type: string;
  range: HealthRange;
  bucket: Bucket;
  /** Source ids, best first, comma-separated. */
  order: string;
}

/** The values of a summary request as slots: what is left is its shape (src/db/prepared.ts). */
function summaryShape({ userId, type, range, bucket, order }: SummaryInput, slot: (value: unknown) => never) {
  const bound = (b: Bound) => ({
    instant: slot(b.instant),
    ...(b.date === undefined ? {} : { date: slot(b.date) }),
  });
  return {
    userId: slot(userId),
    type: slot(type),
    range: {
      ...(range.from ? { from: bound(range.from) } : {}),
      ...(range.to ? { to: bound(range.to) } : {}),
    },
    bucket,
    order: slot(order),
  };
}

// Prepared: equality on the rollup's key prefix (user, type), or on the (user, type, date) index.
// The buckets come back as one JSON text (an array of [bucket, count, min, max, avg, sum, sources]),
// parsed natively: decoding a row of seven fields per bucket through the driver costs the server's
// one thread more than building the text costs PostgreSQL (bench/api/README.md). Every number is
// finite (toResourceRow keeps no other); count is an int in SQL, a number in both drivers; sources
// is json_agg's text.
/** Exported for tests. */
export const summaryStatement = preparedStatement((db, s: SummaryInput) => {
  const inner = summaryQuery(db, s.userId, s.type, s.range, s.bucket, s.order);
  const text = sql<{
    buckets: string;
  }>`select '[' || coalesce(string_agg('["' || bucket || '",' || count || ','
      || coalesce(min::text, 'null') || ',' || coalesce(max::text, 'null') || ','
      || coalesce(avg::text, 'null') || ',' || coalesce(sum::text, 'null') || ',' || sources || ']', ','
      order by bucket), '') || ']' as buckets from (${inner}) b`;
  return { compile: () => text.compile(db) };
}, summaryShape);

type BucketTuple = [
  string,
  number,
  number | null,
  number | null,
  number | null,
  number | null,
  [string | null, number][],
];

/**
 * One row per local bucket with data. Buckets group on the measurement's `local_date`
 * (date_trunc to ISO week or month). Values are each Observation's `valueQuantity.value`, and for a
 * window of samples (intraday heart rate) its samples: count = readings, min/max the lowest and
 * highest reading, avg weighs every reading once (migration 0011). `order`: source ids, best first
 * (src/health/source-priority.ts effectiveOrder).
 */
export async function summarize(
  db: Db,
  userId: number,
  type: string,
  range: HealthRange,
  bucket: Bucket,
  order: readonly string[],
): Promise<BucketRow[]> {
  const [row] = await summaryStatement.execute(db, { userId, type, range, bucket, order: order.join(',') });
  const buckets = JSON.parse(row?.buckets ?? '[]') as BucketTuple[];
  return buckets.map(([b, count, min, max, avg, sum, sources]) => ({
    bucket: b,
    count,
    min,
    max,
    avg,
    sum,
    sources: sources.map(([source, days]) => ({ source, days })),
  }));
}

/**
 * One source per local day (docs/sources.md): of the sources with data that day, the first in
 * `order` (a comma-separated list of source ids, best first; sources it does not name come after,
 * by name, untagged rows last); a source whose rows that day carry no value only when no other has
 * one. Buckets aggregate the chosen days, and name their sources with the days each was chosen.
 *
 * Bounds that are local dates (or none) read the per-day rollup `observation_days` (kept by
 * triggers, migrations 0007 and 0015): a year of hourly heart-rate windows is 365 rows per source,
 * not 8,760. A bound with a time of day cuts through a day, so those summaries aggregate the
 * observations themselves.
 */
export function summaryQuery(
  db: Db,
  userId: number,
  type: string,
  range: HealthRange,
  bucket: Bucket,
  order: string,
) {
  // Grouped on the date, formatted once per bucket (not per row). The unit is a literal so the
  // select list and GROUP BY hold the same expression (bucket is one of three known words).
  const key =
    bucket === 'day' ? sql`local_date` : sql`date_trunc(${sql.lit(bucket)}, local_date::timestamp)::date`;
  const byDay = [range.from, range.to].every((b) => b === undefined || b.date !== undefined);
  const days = byDay ? rollupDays(db, userId, type, range) : rowDays(db, userId, type, range);
  return db
    .with('days', () => days)
    .with('chosen', (qc) =>
      qc
        .selectFrom('days')
        .distinctOn('local_date')
        .select([
          'local_date',
          'source',
          'n_values',
          'min',
          'max',
          'sum',
          sql<number | null>`array_position(string_to_array(${order}::text, ','), source)`.as('pos'),
        ])
        .orderBy('local_date')
        .orderBy(sql`n_values > 0`, 'desc')
        .orderBy(sql`pos nulls last`)
        .orderBy(sql`source = ''`)
        .orderBy('source'),
    )
    .with('per_source', (qc) =>
      qc
        .selectFrom('chosen')
        .select([
          sql<string>`${key}`.as('bucket'),
          'source',
          sql<number | null>`min(pos)`.as('pos'),
          sql<number>`count(*)::int`.as('days'),
          sql<number>`sum(n_values)::int`.as('n_values'),
          sql<number | null>`min(min)`.as('min'),
          sql<number | null>`max(max)`.as('max'),
          sql<number | null>`sum(sum)`.as('sum'),
        ])
        .groupBy([key, 'source']),
    )
    .selectFrom('per_source')
    .select([
      sql<string>`bucket::text`.as('bucket'),
      sql<number>`sum(n_values)::int`.as('count'),
      sql<number | null>`min(min)`.as('min'),
      sql<number | null>`max(max)`.as('max'),
      sql<number | null>`sum(sum) / nullif(sum(n_values), 0)`.as('avg'),
      sql<number | null>`sum(sum)`.as('sum'),
      sql<string>`json_agg(json_build_array(nullif(source, ''), days) order by days desc, pos nulls last, source)::text`.as(
        'sources',
      ),
    ])
    .groupBy('bucket')
    .orderBy('bucket');
}

/** Per local day and source, from the rollup: equality on its key prefix (user, type), a date range. */
function rollupDays(db: Db, userId: number, type: string, range: HealthRange) {
  return db
    .selectFrom('observation_days')
    .select([
      sql<string>`local_date`.as('local_date'),
      sql<string>`source`.as('source'),
      sql<number>`n_values`.as('n_values'),
      sql<number | null>`min`.as('min'),
      sql<number | null>`max`.as('max'),
      sql<number | null>`sum`.as('sum'),
    ])
    .where('user_id', '=', userId)
    .where('type', '=', type)
    .$if(range.from !== undefined, (q) => q.where(sql<SqlBool>`local_date >= ${range.from?.date}::date`))
    .$if(range.to !== undefined, (q) => q.where(sql<SqlBool>`local_date < ${range.to?.date}::date`));
}

/** Per local day and source, from the observations (a bound with a time of day). */
function rowDays(db: Db, userId: number, type: string, range: HealthRange) {
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
      eb.and(
        observationConditions(eb, userId, { types: [type] as HealthFilter['types'], ...range }, 'local'),
      ),
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
