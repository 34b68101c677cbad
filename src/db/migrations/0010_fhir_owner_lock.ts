import { type Kysely, sql } from 'kysely';

// fhir_resources drops its foreign key to users: the store's write transaction takes the owner's
// row FOR KEY SHARE once instead (src/fhir/store/fhir.service.ts), which is what the key's check did
// for each inserted row, one trigger-run lookup of users per row: a visible share of PostgreSQL's
// CPU per ingested Observation (bench/fhir/README.md).
// The guarantee is kept on the paths that write and erase: a write holds the row until it commits,
// erasure takes it FOR UPDATE first (src/account), so erasure waits for a write in flight and then
// deletes its rows too, and a write that comes after the erasure finds no owner and writes nothing.
// What is given up: deleting a users row by hand no longer cascades to the person's resources.
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const name of await foreignKeys(db))
    await sql`alter table fhir_resources drop constraint ${sql.id(name)}`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from fhir_resources f where not exists (select 1 from users u where u.id = f.user_id)`.execute(
    db,
  );
  await sql`alter table fhir_resources add constraint fhir_resources_user_id_fkey
    foreign key (user_id) references users (id) on delete cascade`.execute(db);
}

async function foreignKeys(db: Kysely<unknown>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select conname as name from pg_constraint
    where conrelid = 'fhir_resources'::regclass and contype = 'f'`.execute(db);
  return rows.map((r) => r.name);
}
