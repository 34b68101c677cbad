import { type Kysely, sql } from 'kysely';

// The FHIR store (src/fhir/store) and its replication outbox (src/fhir/replication).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('fhir_resources')
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('identifier', 'text')
    .addColumn('type', 'text')
    .addColumn('code', 'text')
    .addColumn('code_system', 'text')
    .addColumn('category', 'text')
    .addColumn('effective_start', 'timestamptz')
    .addColumn('effective_end', 'timestamptz')
    .addColumn('local_date', 'date')
    .addColumn('status', 'text')
    .addColumn('source_vendor', 'text')
    .addColumn('version_id', 'integer', (c) => c.notNull())
    .addColumn('last_updated', 'timestamptz', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('resource', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('fhir_resources_pk', ['resource_type', 'id'])
    .execute();
  // A heart-rate window (~2 kB of jsonb) is compressed on every write: lz4 costs a fraction of the
  // default pglz's CPU (bench/fhir/README.md). Only where the server was built with it (PGlite is not).
  const { rows } = await sql<{ lz4: boolean }>`
    select 'lz4' = any(enumvals) as lz4 from pg_settings where name = 'default_toast_compression'`.execute(
    db,
  );
  if (rows[0]?.lz4)
    await sql`alter table fhir_resources alter column resource set compression lz4`.execute(db);
  // The upsert's conflict target: the deterministic business identifier, per owner.
  await sql`create unique index fhir_resources_identifier on fhir_resources (user_id, resource_type, identifier)`.execute(
    db,
  );
  // FHIR search `code` + `date`, sorted by date, keyset on id.
  await sql`create index fhir_resources_code_date on fhir_resources (user_id, code, effective_start desc, id desc) where resource_type = 'Observation'`.execute(
    db,
  );
  // Searches without a code, and the health API by type.
  await sql`create index fhir_resources_date on fhir_resources (user_id, effective_start desc, id desc) where resource_type = 'Observation'`.execute(
    db,
  );
  await sql`create index fhir_resources_type_date on fhir_resources (user_id, type, effective_start desc, id desc) where resource_type = 'Observation'`.execute(
    db,
  );
  await sql`create index fhir_resources_last_updated on fhir_resources (user_id, last_updated, id)`.execute(
    db,
  );

  await db.schema
    .createTable('fhir_outbox')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    // No foreign key: deletions must outlive the account they mirror.
    .addColumn('user_id', 'integer', (c) => c.notNull())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('identifier', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('enqueued_at', 'timestamptz', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addUniqueConstraint('fhir_outbox_resource', ['resource_type', 'resource_id'])
    .execute();
  await db.schema
    .createIndex('fhir_outbox_due')
    .on('fhir_outbox')
    .columns(['next_attempt_at', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('fhir_outbox').execute();
  await db.schema.dropTable('fhir_resources').execute();
}
