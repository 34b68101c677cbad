import { type Kysely, sql } from 'kysely';

// The health summary of heart rate counts readings, not hourly windows: a window row (one hour of
// samples in a SampledData component, docs/fhir.md) now carries its samples' count, min, max and sum,
// and the per-day rollup (0007, 0009) aggregates those instead of the window's mean. So a day's max
// is the highest reading (the mean of its highest hour can be tens of bpm lower, as for a run), and
// its average weighs every reading once (an hour the watch was worn for ten minutes no longer counts
// as much as a full one), which is what the Google Health API's own daily heart-rate rollup reports.
// Every other row counts as one value: its valueQuantity.value.
//
// A row's contribution, in both rollup functions and in the summary's query over the rows
// (src/health/summary.repository.ts):
//   values  coalesce(sample_count, (value is not null)::int)
//   min     case when sample_count is null then value else sample_min end   (max, sum alike)
// The functions are 0007's refresh and 0009's insert trigger with only those aggregates changed;
// `down` puts the previous aggregates back.
const SAMPLES = {
  values: 'sum(coalesce(f.sample_count, (f.value is not null)::int))::int',
  min: 'min(case when f.sample_count is null then f.value else f.sample_min end)',
  max: 'max(case when f.sample_count is null then f.value else f.sample_max end)',
  sum: 'sum(case when f.sample_count is null then f.value else f.sample_sum end)',
};
const VALUES = {
  values: 'count(f.value)::int',
  min: 'min(f.value)',
  max: 'max(f.value)',
  sum: 'sum(f.value)',
};
type Aggregates = typeof SAMPLES;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table fhir_resources add column sample_count integer, add column sample_min double precision,
    add column sample_max double precision, add column sample_sum double precision`.execute(db);
  await defineRollup(db, SAMPLES);

  // Existing windows: the samples component's numeric tokens ('E' marks an empty grid slot), read
  // as the health API reads them. Only rows whose text names the component are parsed. The functions
  // above are in place, so this statement's update trigger (0007) re-aggregates exactly the days
  // whose rows it changes. How long it takes: docs/integration.md.
  await sql`update fhir_resources f
    set sample_count = s.n, sample_min = s.lo, sample_max = s.hi, sample_sum = s.total
    from (
      select r.resource_type, r.id, count(v.x)::int as n, min(v.x) as lo, max(v.x) as hi, sum(v.x) as total
      from fhir_resources r
      cross join lateral (select r.resource::jsonb -> 'component' as list) l
      cross join lateral jsonb_array_elements(case when jsonb_typeof(l.list) = 'array' then l.list else '[]' end) c
      cross join lateral unnest(string_to_array(c -> 'valueSampledData' ->> 'data', ' ')) tok
      cross join lateral (select case when tok ~ '^[-+]?[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?$' then tok::float8 end as x) v
      where r.resource_type = 'Observation' and r.resource like '%"heart-rate-samples"%'
        and c -> 'code' -> 'coding' -> 0 ->> 'code' = 'heart-rate-samples'
        and c -> 'valueSampledData' ? 'data'
      group by r.resource_type, r.id
    ) s
    where f.resource_type = s.resource_type and f.id = s.id`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await defineRollup(db, VALUES);
  // Through the update trigger, the days that hold windows are re-aggregated from their means.
  await sql`update fhir_resources set sample_count = null where sample_count is not null`.execute(db);
  await sql`alter table fhir_resources drop column sample_count, drop column sample_min, drop column sample_max,
    drop column sample_sum`.execute(db);
}

/** observation_days_refresh (0007) and observation_days_after_insert (0009) with these aggregates. */
async function defineRollup(db: Kysely<unknown>, agg: Aggregates): Promise<void> {
  const [values, min, max, sum] = [agg.values, agg.min, agg.max, agg.sum].map((a) => sql.raw(a));
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
      select f.user_id, f.type, f.local_date, count(*)::int as n_rows, ${values} as n_values,
        ${min} as min, ${max} as max, ${sum} as sum
      from spans s join fhir_resources f on f.user_id = s.user_id and f.type = s.type
        and f.effective_start >= s.lo::timestamp at time zone 'UTC'
        and f.effective_start < s.hi::timestamp at time zone 'UTC'
      where f.resource_type = 'Observation' and f.effective_start > '-infinity' and f.effective_start < 'infinity'
        and (f.user_id, f.type, f.local_date) in (select user_id, type, local_date from touched)
      group by f.user_id, f.type, f.local_date
    ),
    gone as (
      delete from observation_days o using touched t
      where o.user_id = t.user_id and o.type = t.type and o.local_date = t.local_date
        and not exists (select 1 from fresh f where f.user_id = t.user_id and f.type = t.type and f.local_date = t.local_date)
    )
    insert into observation_days (user_id, type, local_date, n_rows, n_values, min, max, sum)
    select user_id, type, local_date, n_rows, n_values, min, max, sum from fresh
    on conflict (user_id, type, local_date) do update set n_rows = excluded.n_rows, n_values = excluded.n_values,
      min = excluded.min, max = excluded.max, sum = excluded.sum
  $fn$`.execute(db);
  await sql`create or replace function observation_days_after_insert() returns trigger language plpgsql as $fn$
    begin
      insert into observation_days as o (user_id, type, local_date, n_rows, n_values, min, max, sum)
      select f.user_id, f.type, f.local_date, count(*), ${values}, ${min}, ${max}, ${sum}
      from new_rows f
      where f.resource_type = 'Observation' and f.type is not null and f.local_date is not null
        and f.effective_start > '-infinity' and f.effective_start < 'infinity'
      group by f.user_id, f.type, f.local_date
      on conflict (user_id, type, local_date) do update set
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
