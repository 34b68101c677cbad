import { type Kysely, sql } from 'kysely';

// One number per day per type (docs/sources.md): when two sources measure the same thing on the
// same day (a Withings scale and a Fitbit both weigh, two wearables both count steps), the summary
// takes one of them instead of adding them up. So:
// - the per-day rollup (0007, 0009, 0011) is kept per source: its key gains `source`, the row's
//   `source_vendor` ('' for a row without a source tag, which no writer produces today), and the
//   rows are rebuilt from fhir_resources once, here;
// - its two functions are 0011's with the source added to their grouping. A re-aggregation still
//   covers every source of each touched (user, type, day), so an update that changes a row's source
//   moves it between the day's per-source rows; the update and delete triggers are unchanged;
// - source_priorities holds each person's ordered sources per measurement type, or per group of
//   types (scope `group:<name>`), set with PUT /health/sources (src/health/sources.repository.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table source_priorities (
    user_id integer not null references users (id) on delete cascade,
    scope text collate "C" not null,
    sources text[] not null,
    updated_at timestamptz not null,
    primary key (user_id, scope)
  )`.execute(db);

  await sql`delete from observation_days`.execute(db);
  await sql`alter table observation_days drop constraint observation_days_pkey`.execute(db);
  await sql`alter table observation_days add column source text collate "C" not null`.execute(db);
  await sql`alter table observation_days add primary key (user_id, type, local_date, source)`.execute(db);
  await defineRollup(db, true);
  await backfill(db, true);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table source_priorities`.execute(db);
  await sql`delete from observation_days`.execute(db);
  await sql`alter table observation_days drop constraint observation_days_pkey`.execute(db);
  await sql`alter table observation_days drop column source`.execute(db);
  await sql`alter table observation_days add primary key (user_id, type, local_date)`.execute(db);
  await defineRollup(db, false);
  await backfill(db, false);
}

// A row's contribution, as 0011 defines it: a window of samples its readings, any other row its value.
const VALUES = 'sum(coalesce(f.sample_count, (f.value is not null)::int))::int';
const MIN = 'min(case when f.sample_count is null then f.value else f.sample_min end)';
const MAX = 'max(case when f.sample_count is null then f.value else f.sample_max end)';
const SUM = 'sum(case when f.sample_count is null then f.value else f.sample_sum end)';

/** The rollup's key columns, with or without the source (`down` restores 0011's rollup). */
function keyOf(bySource: boolean) {
  return {
    /** In a GROUP BY over fhir_resources `f`, and (`named`) in its select list. */
    source: sql.raw(bySource ? `, coalesce(f.source_vendor, '')` : ''),
    named: sql.raw(bySource ? `, coalesce(f.source_vendor, '') as source` : ''),
    /** The rollup's column, in a column list or ON CONFLICT target. */
    column: sql.raw(bySource ? ', source' : ''),
    /** The same day's rows of `fresh` and of the rollup `o` match on it too. */
    same: sql.raw(bySource ? ' and f.source = o.source' : ''),
  };
}

async function backfill(db: Kysely<unknown>, bySource: boolean): Promise<void> {
  const k = keyOf(bySource);
  await sql`insert into observation_days (user_id, type, local_date${k.column}, n_rows, n_values, min, max, sum)
    select f.user_id, f.type, f.local_date${k.source}, count(*), ${sql.raw(VALUES)}, ${sql.raw(MIN)},
      ${sql.raw(MAX)}, ${sql.raw(SUM)}
    from fhir_resources f
    where f.resource_type = 'Observation' and f.type is not null and f.local_date is not null
      and f.effective_start > '-infinity' and f.effective_start < 'infinity'
    group by f.user_id, f.type, f.local_date${k.source}`.execute(db);
}

/** observation_days_refresh (0007) and observation_days_after_insert (0009), as 0011 left them, by source. */
async function defineRollup(db: Kysely<unknown>, bySource: boolean): Promise<void> {
  const k = keyOf(bySource);
  const [values, min, max, sum] = [VALUES, MIN, MAX, SUM].map((a) => sql.raw(a));
  await sql`create or replace function observation_days_refresh(touched_user integer[], touched_type text[], touched_date date[])
    returns void language sql as $fn$
    with touched as (
      select distinct u as user_id, t as type, d as local_date
      from unnest(touched_user, touched_type, touched_date) as x(u, t, d)
    ),
    spans as (
      select user_id, type, min(local_date) - 2 as lo, max(local_date) + 2 as hi from touched group by user_id, type
    ),
    fresh as (
      select f.user_id, f.type, f.local_date${k.named}, count(*)::int as n_rows, ${values} as n_values,
        ${min} as min, ${max} as max, ${sum} as sum
      from spans s join fhir_resources f on f.user_id = s.user_id and f.type = s.type
        and f.effective_start >= s.lo::timestamp at time zone 'UTC'
        and f.effective_start < s.hi::timestamp at time zone 'UTC'
      where f.resource_type = 'Observation' and f.effective_start > '-infinity' and f.effective_start < 'infinity'
        and (f.user_id, f.type, f.local_date) in (select user_id, type, local_date from touched)
      group by f.user_id, f.type, f.local_date${k.source}
    ),
    gone as (
      delete from observation_days o using touched t
      where o.user_id = t.user_id and o.type = t.type and o.local_date = t.local_date
        and not exists (select 1 from fresh f where f.user_id = o.user_id and f.type = o.type
          and f.local_date = o.local_date${k.same})
    )
    insert into observation_days (user_id, type, local_date${k.column}, n_rows, n_values, min, max, sum)
    select user_id, type, local_date${k.column}, n_rows, n_values, min, max, sum from fresh
    on conflict (user_id, type, local_date${k.column}) do update set n_rows = excluded.n_rows,
      n_values = excluded.n_values, min = excluded.min, max = excluded.max, sum = excluded.sum
  $fn$`.execute(db);
  await sql`create or replace function observation_days_after_insert() returns trigger language plpgsql as $fn$
    begin
      insert into observation_days as o (user_id, type, local_date${k.column}, n_rows, n_values, min, max, sum)
      select f.user_id, f.type, f.local_date${k.source}, count(*), ${values}, ${min}, ${max}, ${sum}
      from new_rows f
      where f.resource_type = 'Observation' and f.type is not null and f.local_date is not null
        and f.effective_start > '-infinity' and f.effective_start < 'infinity'
      group by f.user_id, f.type, f.local_date${k.source}
      on conflict (user_id, type, local_date${k.column}) do update set
        n_rows = o.n_rows + excluded.n_rows,
        n_values = o.n_values + excluded.n_values,
        min = least(o.min, excluded.min),
        max = greatest(o.max, excluded.max),
        sum = case when o.sum is null then excluded.sum when excluded.sum is null then o.sum
          else o.sum + excluded.sum end;
      return null;
    end
  $fn$`.execute(db);
}
