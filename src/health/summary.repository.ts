/**
 * What a health summary reads, in one prepared statement (src/db/prepared.ts): per local day and
 * source, the aggregates of the type's observations, from the per-day rollup `observation_days`
 * when the bounds are dates, else from the observations themselves (src/fhir/store/observation-days.repository.ts);
 * beside them the person's stored source lists for the type and its group, and for a most-days
 * group the days each source has in the recent window. The service picks one source per day and
 * builds the buckets (src/health/day-choice.ts, docs/sources.md).
 *
 *   readSummaryInputs(db, input)  -> { days: SourceDay[], typeList, groupList, recentDays }
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { preparedStatement } from '../db/prepared.ts';
import { dayRowsQuery, recentDaysJson } from '../fhir/store/observation-days.repository.ts';
import type { Bound, ObservationRange } from '../fhir/store/observation-filter.ts';
import type { SourceDay } from './day-choice.ts';
import { RECENT_DAYS } from './source-priority.ts';
import { storedListQuery } from './sources.repository.ts';

export type Bucket = 'day' | 'week' | 'month';

export interface SummaryInput {
  userId: number;
  type: string;
  range: ObservationRange;
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
      : recentDaysJson(s.userId, s.type, s.recentUntil, RECENT_DAYS);
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
