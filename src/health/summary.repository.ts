/**
 * Health API summaries: per local day, week or month, from the per-day rollup `observation_days`
 * when the bounds are dates, else from the observations themselves (src/health/conditions.ts).
 * Prepared statements compiled once per shape (src/db/prepared.ts).
 *
 *   summarize(db, userId, type, range, bucket) -> [{ bucket, count, min, max, avg, sum }]
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
}

interface SummaryInput {
  userId: number;
  type: string;
  range: HealthRange;
  bucket: Bucket;
}

/** The values of a summary request as slots: what is left is its shape (src/db/prepared.ts). */
function summaryShape({ userId, type, range, bucket }: SummaryInput, slot: (value: unknown) => never) {
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
  };
}

// Prepared: equality on the rollup's key prefix (user, type), or on the (user, type, date) index.
// The buckets come back as one JSON text (an array of [bucket, count, min, max, avg, sum]), parsed
// natively: decoding a row of six fields per bucket through the driver costs the server's one
// thread more than building the text costs PostgreSQL (bench/api/README.md). Every number is
// finite (toResourceRow keeps no other); count is an int in SQL, a number in both drivers.
/** Exported for tests. */
export const summaryStatement = preparedStatement((db, s: SummaryInput) => {
  const inner = summaryQuery(db, s.userId, s.type, s.range, s.bucket);
  const text = sql<{
    buckets: string;
  }>`select '[' || coalesce(string_agg('["' || bucket || '",' || count || ','
      || coalesce(min::text, 'null') || ',' || coalesce(max::text, 'null') || ','
      || coalesce(avg::text, 'null') || ',' || coalesce(sum::text, 'null') || ']', ',' order by bucket), '')
      || ']' as buckets from (${inner}) b`;
  return { compile: () => text.compile(db) };
}, summaryShape);

/**
 * One row per local bucket with data. Buckets group on the measurement's `local_date`
 * (date_trunc to ISO week or month). Values are each Observation's `valueQuantity.value`, and for a
 * window of samples (intraday heart rate) its samples: count = readings, min/max the lowest and
 * highest reading, avg weighs every reading once (migration 0011).
 */
export async function summarize(
  db: Db,
  userId: number,
  type: string,
  range: HealthRange,
  bucket: Bucket,
): Promise<BucketRow[]> {
  const [row] = await summaryStatement.execute(db, { userId, type, range, bucket });
  const buckets = JSON.parse(row?.buckets ?? '[]') as [
    string,
    number,
    number | null,
    number | null,
    number | null,
    number | null,
  ][];
  return buckets.map(([b, count, min, max, avg, sum]) => ({ bucket: b, count, min, max, avg, sum }));
}

/**
 * Bounds that are local dates (or none) read the per-day rollup `observation_days` (kept by
 * triggers, migration 0007): a year of hourly heart-rate windows is 365 rows, not 8,760. A bound
 * with a time of day cuts through a day, so those summaries aggregate the observations themselves.
 */
export function summaryQuery(db: Db, userId: number, type: string, range: HealthRange, bucket: Bucket) {
  // Grouped on the date, formatted once per bucket (not per row). The unit is a literal so the
  // select list and GROUP BY hold the same expression (bucket is one of three known words).
  const key =
    bucket === 'day' ? sql`local_date` : sql`date_trunc(${sql.lit(bucket)}, local_date::timestamp)::date`;
  const byDay = [range.from, range.to].every((b) => b === undefined || b.date !== undefined);
  if (byDay) {
    return db
      .selectFrom('observation_days')
      .select([
        sql<string>`(${key})::text`.as('bucket'),
        sql<number>`sum(n_values)::int`.as('count'),
        sql<number | null>`min(min)`.as('min'),
        sql<number | null>`max(max)`.as('max'),
        sql<number | null>`sum(sum) / nullif(sum(n_values), 0)`.as('avg'),
        sql<number | null>`sum(sum)`.as('sum'),
      ])
      .where('user_id', '=', userId)
      .where('type', '=', type)
      .$if(range.from !== undefined, (q) => q.where(sql<SqlBool>`local_date >= ${range.from?.date}::date`))
      .$if(range.to !== undefined, (q) => q.where(sql<SqlBool>`local_date < ${range.to?.date}::date`))
      .groupBy(key)
      .orderBy(key);
  }
  return db
    .selectFrom('fhir_resources')
    .select([
      sql<string>`(${key})::text`.as('bucket'),
      sql<number>`sum(${rowValues})::int`.as('count'),
      sql<number | null>`min(${rowMin})`.as('min'),
      sql<number | null>`max(${rowMax})`.as('max'),
      sql<number | null>`sum(${rowSum}) / nullif(sum(${rowValues}), 0)`.as('avg'),
      sql<number | null>`sum(${rowSum})`.as('sum'),
    ])
    .where((eb) =>
      eb.and(
        observationConditions(eb, userId, { types: [type] as HealthFilter['types'], ...range }, 'local'),
      ),
    )
    .where('local_date', 'is not', null)
    .groupBy(key)
    .orderBy(key);
}
