/**
 * What a health summary reads, in one prepared statement (src/db/prepared.ts): per local day and
 * source, the aggregates of the type's observations, from the per-day rollup `observation_days`
 * when the bounds are dates, else from the observations themselves (src/health/conditions.ts);
 * beside them the person's stored source lists for the type and its group, and for a most-days
 * group the days each source has in the recent window. The service picks one source per day and
 * builds the buckets (src/health/day-choice.ts, docs/sources.md).
 *
 *   readSummaryInputs(db, input)  -> { days: SourceDay[], typeList, groupList, recentDays }
 *   recentDaysBySource(db, userId, types, until, days) -> [{ type, source, days }]
 */
import { type SqlBool, sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { preparedStatement } from '../db/prepared.ts';
import { observationConditions } from './conditions.ts';
import type { SourceDay } from './day-choice.ts';
import type { Bound, HealthFilter, HealthRange } from './health.query-parser.ts';
import { RECENT_DAYS } from './source-priority.ts';
import { storedListQuery } from './sources.repository.ts';

export type Bucket = 'day' | 'week' | 'month';

// What one row contributes to a summary, as the rollup's triggers count it (migration 0011): a
// window of samples its readings, any other Observation its value.
const rowValues = sql`coalesce(sample_count, (value is not null)::int)`;
const rowMin = sql`case when sample_count is null then value else sample_min end`;
const rowMax = sql`case when sample_count is null then value else sample_max end`;
const rowSum = sql`case when sample_count is null then value else sample_sum end`;

export interface SummaryInput {
  userId: number;
  type: string;
  range: HealthRange;
  /** Where the type's group keeps its stored list (`group:<name>`). */
  groupScope: string;
  /** For a most-days group: the last local date of the recent window (today). */
  recentUntil?: string | undefined;
}

export interface SummaryInputs {
  /** In date order. */
  days: SourceDay[];
  typeList: string[] | undefined;
  groupList: string[] | undefined;
  /** Per source, its days with data in the RECENT_DAYS local days up to `recentUntil`. */
  recentDays: Map<string, number>;
}

/** The values of a summary request as slots: what is left is its shape (src/db/prepared.ts). */
function summaryShape(input: SummaryInput, slot: (value: unknown) => never): SummaryInput {
  const bound = (b: Bound) => ({
    instant: slot(b.instant),
    ...(b.date === undefined ? {} : { date: slot(b.date) }),
  });
  const { userId, type, range, groupScope, recentUntil } = input;
  return {
    userId: slot(userId),
    type: slot(type),
    range: {
      ...(range.from ? { from: bound(range.from) } : {}),
      ...(range.to ? { to: bound(range.to) } : {}),
    },
    groupScope: slot(groupScope),
    ...(recentUntil === undefined ? {} : { recentUntil: slot(recentUntil) }),
  };
}

/**
 * The statement: the days as one JSON text (an array of [date, source, values, min, max, sum]),
 * parsed natively: decoding a row of six fields per day through the driver costs the server's one
 * thread more than building the text costs PostgreSQL (bench/api/README.md). Every number is
 * finite (toResourceRow keeps no other). Lists travel comma-joined (source ids hold no comma), the
 * recent days as a JSON object. Exported for tests.
 */
export function summarySql(db: Db, s: SummaryInput) {
  const days = dayRowsQuery(db, s.userId, s.type, s.range);
  const recent =
    s.recentUntil === undefined
      ? sql`null::text`
      : sql`(select json_object_agg(source, n)::text from (
          select source, count(*)::int as n from observation_days
          where user_id = ${s.userId} and type = ${s.type}
            and local_date > ${s.recentUntil}::date - ${sql.lit(RECENT_DAYS)} and local_date <= ${s.recentUntil}::date
          group by source) r)`;
  return sql<{
    days: string;
    type_list: string | null;
    group_list: string | null;
    recent: string | null;
  }>`select
    (select '[' || coalesce(string_agg('["' || local_date::text || '",' || to_json(source)::text || ',' || n_values
      || ',' || coalesce(min::text, 'null') || ',' || coalesce(max::text, 'null') || ','
      || coalesce(sum::text, 'null') || ']', ',' order by local_date, source), '') || ']' from (${days}) d) as days,
    (${storedListQuery(db, s.userId, s.type)}) as type_list,
    (${storedListQuery(db, s.userId, s.groupScope)}) as group_list,
    ${recent} as recent`;
}

export const summaryStatement = preparedStatement((db, s: SummaryInput) => {
  const text = summarySql(db, s);
  return { compile: () => text.compile(db) };
}, summaryShape);

export async function readSummaryInputs(db: Db, input: SummaryInput): Promise<SummaryInputs> {
  const [row] = await summaryStatement.execute(db, input);
  const list = (text: string | null | undefined) => (text ? text.split(',') : undefined);
  const recent = row?.recent ? (JSON.parse(row.recent) as Record<string, number>) : {};
  return {
    days: JSON.parse(row?.days ?? '[]') as SourceDay[],
    typeList: list(row?.type_list),
    groupList: list(row?.group_list),
    recentDays: new Map(Object.entries(recent)),
  };
}

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
export function dayRowsQuery(db: Db, userId: number, type: string, range: HealthRange) {
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
