import { type Kysely, sql } from 'kysely';

// Health API pages read only (id, content_hash) per row (src/health/rendered-items.ts): with the
// hash in the (user, type, date) index, a page is an index-only scan, no heap page per row.
// The audit trail's id lists (50 UUIDs for a page: ~1.9 kB, compressed on every insert) use lz4
// where the server has it, like the stored resources (0003): pglz was the top PostgreSQL symbol
// under the page bench.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index fhir_resources_type_date`.execute(db);
  await sql`create index fhir_resources_type_date on fhir_resources (user_id, type, effective_start desc, id desc)
    include (local_date, daily, value, content_hash) where resource_type = 'Observation'`.execute(db);
  const { rows } = await sql<{ lz4: boolean }>`
    select 'lz4' = any(enumvals) as lz4 from pg_settings where name = 'default_toast_compression'`.execute(
    db,
  );
  if (rows[0]?.lz4)
    await sql`alter table audit_events alter column resource_ids set compression lz4`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table audit_events alter column resource_ids set compression default`.execute(db);
  await sql`drop index fhir_resources_type_date`.execute(db);
  await sql`create index fhir_resources_type_date on fhir_resources (user_id, type, effective_start desc, id desc)
    include (local_date, daily, value) where resource_type = 'Observation'`.execute(db);
}
