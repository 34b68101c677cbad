import { type Kysely, sql } from 'kysely';

// Events (docs/events.md): events.payload is `json`, not `jsonb`. It is only stored, read back
// whole and deleted, never queried inside, so jsonb's conversion to its binary form on every insert
// (inside the sync's chunk transaction) and back to text on every read bought nothing (bench/events).
// Changing the type resets the column's storage to the type's default: `external` is set again.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table events alter column payload type json using payload::json`.execute(db);
  await sql`alter table events alter column payload set storage external`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table events alter column payload type jsonb using payload::jsonb`.execute(db);
  await sql`alter table events alter column payload set storage external`.execute(db);
}
