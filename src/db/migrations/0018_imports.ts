import { type Kysely, sql } from 'kysely';

// File imports (docs/apple-health.md): one row per uploaded export and what its job did.
// - status: queued -> running -> succeeded | failed; at most one queued or running per person
//   (imports_open), so two uploads never race over the same records;
// - progress 0..1, records_read, created/updated/unchanged, skipped and by_type (JSON text
//   objects of counts): what GET /imports/{id} answers; error: why it failed (no health values);
// - file_key: the file's sha256 (then with the zone and mapping version it was read with) and
//   source_count: the person's apple_health Observations right after it succeeded: the same file
//   again, onto a store nothing has changed since, is known to write nothing and is not read again;
// import_resources: the Observations an import created, so DELETE /imports/{id} (and a failed
// import) removes exactly those. user_id cascades: erasing the account removes both.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table imports (
    id uuid primary key,
    user_id integer not null references users (id) on delete cascade,
    kind text collate "C" not null,
    status text collate "C" not null,
    progress double precision not null default 0,
    bytes double precision not null default 0,
    records_read integer not null default 0,
    created integer not null default 0,
    updated integer not null default 0,
    unchanged integer not null default 0,
    skipped text not null default '{}',
    by_type text not null default '{}',
    error text,
    file_key text collate "C",
    source_count integer,
    created_at timestamptz not null,
    started_at timestamptz,
    finished_at timestamptz
  )`.execute(db);
  await sql`create unique index imports_open on imports (user_id) where status in ('queued', 'running')`.execute(
    db,
  );
  await sql`create index imports_user on imports (user_id, created_at)`.execute(db);
  await sql`create table import_resources (
    import_id uuid not null references imports (id) on delete cascade,
    resource_id text collate "C" not null,
    type text collate "C",
    primary key (import_id, resource_id)
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table import_resources`.execute(db);
  await sql`drop table imports`.execute(db);
}
