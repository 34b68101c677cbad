import { type Kysely, sql } from 'kysely';

// Display preferences of the account (docs/api.md "Preferences"): the units the dashboard shows
// (stored data keeps its canonical units) and the daily goals of Today. One row per user, written
// on the first change; no row means the defaults. user_id cascades: erasure removes it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table user_preferences (
    user_id integer primary key references users (id) on delete cascade,
    distance_unit text collate "C" not null default 'km' check (distance_unit in ('km', 'mi')),
    weight_unit text collate "C" not null default 'kg' check (weight_unit in ('kg', 'lb')),
    temperature_unit text collate "C" not null default 'C' check (temperature_unit in ('C', 'F')),
    steps_goal integer not null default 10000,
    energy_goal integer not null default 2500,
    sleep_goal integer not null default 480,
    updated_at timestamptz not null
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table user_preferences`.execute(db);
}
