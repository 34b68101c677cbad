import { type Kysely, sql } from 'kysely';

// The FHIR store keeps each resource as the JSON text it was written with, not jsonb, and gives
// the two facts queries read from inside it their own columns (bench/fhir/README.md):
// - writing: jsonb parsing was a large share of PostgreSQL's CPU per ingested row;
// - reading: every page re-serialized jsonb to text (and the health API's `resource - keys` rebuilt
//   it per row), only for Node to parse it again.
// The store never looks inside the JSON on its hot paths now: `value` (valueQuantity.value, what
// summaries aggregate) and `daily` (a date-only effectiveDateTime) are columns; the rare searches
// on a secondary coding or a category system cast the few rows the indexes leave to jsonb.
// The health API's (user, type, date) index carries local_date, daily and value, so a summary
// over a year of hourly heart-rate windows is an index-only scan.
// Key columns compare bytewise (collation "C"): the same order as the database's C.UTF-8 for UTF-8
// text, without a strcoll() call per index comparison on every insert and scan.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table fhir_resources
    add column value double precision,
    add column daily boolean not null default false`.execute(db);
  await sql`update fhir_resources set
      value = case when jsonb_typeof(resource #> '{valueQuantity,value}') = 'number'
        then (resource #>> '{valueQuantity,value}')::float8 end,
      daily = coalesce(length(resource ->> 'effectiveDateTime') = 10, false)
    where resource_type = 'Observation'`.execute(db);
  await sql`alter table fhir_resources
    alter column resource type text using resource::text,
    alter column resource_type type text collate "C",
    alter column id type text collate "C",
    alter column identifier type text collate "C",
    alter column type type text collate "C",
    alter column code type text collate "C",
    alter column code_system type text collate "C",
    alter column category type text collate "C"`.execute(db);
  await sql`drop index fhir_resources_type_date`.execute(db);
  await sql`create index fhir_resources_type_date on fhir_resources (user_id, type, effective_start desc, id desc)
    include (local_date, daily, value) where resource_type = 'Observation'`.execute(db);
  // A type change resets the column's compression: lz4 again where the server has it (as 0003).
  const { rows } = await sql<{ lz4: boolean }>`
    select 'lz4' = any(enumvals) as lz4 from pg_settings where name = 'default_toast_compression'`.execute(
    db,
  );
  if (rows[0]?.lz4)
    await sql`alter table fhir_resources alter column resource set compression lz4`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index fhir_resources_type_date`.execute(db);
  await sql`alter table fhir_resources
    alter column resource type jsonb using resource::jsonb,
    alter column resource_type type text collate "default",
    alter column id type text collate "default",
    alter column identifier type text collate "default",
    alter column type type text collate "default",
    alter column code type text collate "default",
    alter column code_system type text collate "default",
    alter column category type text collate "default",
    drop column value,
    drop column daily`.execute(db);
  await sql`create index fhir_resources_type_date on fhir_resources (user_id, type, effective_start desc, id desc)
    where resource_type = 'Observation'`.execute(db);
}
