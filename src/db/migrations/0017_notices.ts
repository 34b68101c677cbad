import { type Kysely, sql } from 'kysely';

// Notices (docs/events.md §7): what the person should see about a connection that stopped
// working, raised in the same transaction as the event that causes it.
// - kind: 'integration.needs_reauth' (the grant was revoked or expired) or 'sync.failing' (the
//   integration's last 3 finished runs all failed);
// - code, message: the stable cause code and a sentence for the person (no health values);
// - dismissed_at: the person hid it; resolved_at: the cause went away (reconnected, a sync succeeded,
//   disconnected). At most one unresolved notice per (integration, kind): a dismissed one that is not
//   resolved keeps its cause from raising it again.
// user_id cascades: erasing the account removes its notices.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table notices (
    id uuid primary key,
    user_id integer not null references users (id) on delete cascade,
    kind text collate "C" not null,
    integration_id uuid not null references integrations (id) on delete cascade,
    vendor text collate "C" not null,
    code text collate "C" not null,
    message text not null,
    created_at timestamptz not null,
    dismissed_at timestamptz,
    resolved_at timestamptz
  )`.execute(db);
  await sql`create unique index notices_unresolved on notices (integration_id, kind) where resolved_at is null`.execute(
    db,
  );
  await sql`create index notices_user on notices (user_id, created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table notices`.execute(db);
}
