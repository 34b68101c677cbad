import { type Kysely, sql } from 'kysely';

// Events (docs/events.md):
// - events.payload is stored without compression (TOAST storage `external`). An observations.*
//   event carries up to 1,000 ids, about 40 kB of JSON that compresses by next to nothing, yet the
//   default storage tried to compress every one inside the sync's chunk transaction: on
//   PostgreSQL that attempt was most of the event's INSERT (bench/events). Rows already written keep
//   their form; the column reads the same.
// - webhook_endpoints.previous_secret / previous_secret_until: after a secret rotation the old
//   secret (a vault envelope, like `secret`) still signs, alongside the new one, until
//   previous_secret_until, so a receiver can switch over without missing a delivery.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table events alter column payload set storage external`.execute(db);
  await sql`alter table webhook_endpoints add column previous_secret text`.execute(db);
  await sql`alter table webhook_endpoints add column previous_secret_until timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table webhook_endpoints drop column previous_secret_until`.execute(db);
  await sql`alter table webhook_endpoints drop column previous_secret`.execute(db);
  await sql`alter table events alter column payload set storage extended`.execute(db);
}
