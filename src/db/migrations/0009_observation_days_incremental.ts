import { type Kysely, sql } from 'kysely';

// Inserted rows are added to their days' rollups instead of re-aggregating the days from
// fhir_resources (0007): count and sum add up and min/max only widen when rows are added, so the
// statement's own rows are all the trigger needs to read. Re-aggregating read every row of each
// touched day back through the index and the heap: for a sync batch that is the batch itself again
// (bench/fhir/README.md). Updates and deletes still
// re-aggregate (a minimum cannot be taken back).
// Concurrent inserts into one day stay exact: ON CONFLICT DO UPDATE adds to the latest committed
// rollup row, where two re-aggregations from two snapshots could each miss the other's rows.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create or replace function observation_days_after_insert() returns trigger language plpgsql as $fn$
    begin
      insert into observation_days as o (user_id, type, local_date, n_rows, n_values, min, max, sum)
      select user_id, type, local_date, count(*), count(value), min(value), max(value), sum(value)
      from new_rows
      where resource_type = 'Observation' and type is not null and local_date is not null
        and effective_start > '-infinity' and effective_start < 'infinity'
      group by user_id, type, local_date
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

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`create or replace function observation_days_after_insert() returns trigger language plpgsql as $fn$
    begin
      perform observation_days_refresh(array_agg(user_id), array_agg(type), array_agg(local_date))
      from (select user_id, type, local_date from new_rows) r
      where type is not null and local_date is not null
      having count(*) > 0;
      return null;
    end
  $fn$`.execute(db);
}
