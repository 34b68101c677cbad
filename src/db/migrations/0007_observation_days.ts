import { type Kysely, sql } from 'kysely';

// A per-day rollup of each person's Observations by measurement type, kept by the database itself:
// the health summary reads one row per local day instead of every observation of the range
// (a year of hourly heart-rate windows: 365 rows instead of 8,760; bench/api/README.md).
// Statement-level triggers with transition tables re-aggregate exactly the (user, type, local date)
// groups a statement touched, whatever wrote it (sync upserts, FHIR API writes and deletes,
// erasure), in the same transaction: the rollup can never disagree with the rows.
// Rows count as the summary counts them: an Observation with a type, a local date and a finite
// effective start. `n_rows` keeps days whose observations carry no value (a bucket with count 0).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table observation_days (
    user_id integer not null references users (id) on delete cascade,
    type text collate "C" not null,
    local_date date not null,
    n_rows integer not null,
    n_values integer not null,
    min double precision,
    max double precision,
    sum double precision,
    primary key (user_id, type, local_date)
  )`.execute(db);

  // Re-aggregates the touched groups from fhir_resources. A group's rows lie within a day of its
  // local date (the offset is at most 14 h), so each (user, type) is read over the touched dates
  // +- 2 days through the (user, type, effective_start) index, never over all of its rows.
  await sql`create function observation_days_refresh(touched_user integer[], touched_type text[], touched_date date[])
    returns void language sql as $fn$
    with touched as (
      select distinct u as user_id, t as type, d as local_date
      from unnest(touched_user, touched_type, touched_date) as x(u, t, d)
    ),
    spans as (
      select user_id, type, min(local_date) - 2 as lo, max(local_date) + 2 as hi from touched group by user_id, type
    ),
    fresh as (
      select f.user_id, f.type, f.local_date, count(*)::int as n_rows, count(f.value)::int as n_values,
        min(f.value) as min, max(f.value) as max, sum(f.value) as sum
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

  // One function per transition-table shape: a trigger function may only name the tables its
  // trigger declares.
  for (const [name, from] of [
    ['observation_days_after_insert', 'new_rows'],
    ['observation_days_after_delete', 'old_rows'],
    ['observation_days_after_update', 'old_rows union all select user_id, type, local_date from new_rows'],
  ] as const) {
    await sql`create function ${sql.raw(name)}() returns trigger language plpgsql as $fn$
      begin
        perform observation_days_refresh(array_agg(user_id), array_agg(type), array_agg(local_date))
        from (select user_id, type, local_date from ${sql.raw(from)}) r
        where type is not null and local_date is not null
        having count(*) > 0;
        return null;
      end
    $fn$`.execute(db);
  }
  await sql`create trigger observation_days_insert after insert on fhir_resources
    referencing new table as new_rows for each statement execute function observation_days_after_insert()`.execute(
    db,
  );
  await sql`create trigger observation_days_delete after delete on fhir_resources
    referencing old table as old_rows for each statement execute function observation_days_after_delete()`.execute(
    db,
  );
  await sql`create trigger observation_days_update after update on fhir_resources
    referencing old table as old_rows new table as new_rows for each statement
    execute function observation_days_after_update()`.execute(db);

  await sql`insert into observation_days (user_id, type, local_date, n_rows, n_values, min, max, sum)
    select user_id, type, local_date, count(*), count(value), min(value), max(value), sum(value)
    from fhir_resources
    where resource_type = 'Observation' and type is not null and local_date is not null
      and effective_start > '-infinity' and effective_start < 'infinity'
    group by user_id, type, local_date`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger observation_days_insert on fhir_resources`.execute(db);
  await sql`drop trigger observation_days_delete on fhir_resources`.execute(db);
  await sql`drop trigger observation_days_update on fhir_resources`.execute(db);
  await sql`drop function observation_days_after_insert()`.execute(db);
  await sql`drop function observation_days_after_delete()`.execute(db);
  await sql`drop function observation_days_after_update()`.execute(db);
  await sql`drop function observation_days_refresh(integer[], text[], date[])`.execute(db);
  await sql`drop table observation_days`.execute(db);
}
