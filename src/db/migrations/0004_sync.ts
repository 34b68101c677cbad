import { type Kysely, sql } from 'kysely';

// The sync engine (src/sync): a cursor per integration and data type, and every sync run with
// its per-integration result (the SyncResult of docs/api.md).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sync_cursors')
    .addColumn('integration_id', 'uuid', (c) => c.notNull().references('integrations.id').onDelete('cascade'))
    .addColumn('data_type', 'text', (c) => c.notNull())
    // The last local date ('YYYY-MM-DD') whose data was complete when it was committed.
    .addColumn('through_date', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_cursors_pk', ['integration_id', 'data_type'])
    .execute();

  await db.schema
    .createTable('sync_runs')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index sync_runs_user on sync_runs (user_id, created_at desc)`.execute(db);

  await db.schema
    .createTable('sync_run_items')
    .addColumn('run_id', 'uuid', (c) => c.notNull().references('sync_runs.id').onDelete('cascade'))
    .addColumn('integration_id', 'uuid', (c) => c.notNull().references('integrations.id').onDelete('cascade'))
    .addColumn('vendor', 'text', (c) => c.notNull())
    // The runner's job id: a retried, delayed or recovered job finds its own item again.
    .addColumn('job_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('window_start', 'text')
    .addColumn('window_end', 'text')
    // The types and per-type ranges decided at the start, and the last chunk committed per type.
    .addColumn('plan', 'jsonb')
    .addColumn('requests', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('fetched', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unchanged', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('errors', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addPrimaryKeyConstraint('sync_run_items_pk', ['run_id', 'integration_id'])
    .execute();
  await sql`create index sync_run_items_job on sync_run_items (integration_id, job_id) where finished_at is null`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('sync_run_items').execute();
  await db.schema.dropTable('sync_runs').execute();
  await db.schema.dropTable('sync_cursors').execute();
}
