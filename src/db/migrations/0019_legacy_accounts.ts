import { type Kysely, sql } from 'kysely';

// Accounts moved over from the original Python backend (docs/migrating-from-phr-py.md):
// - users.is_active: a deactivated account cannot sign in (the old system's flag, kept);
// - users.is_admin: the old system's admin mark, kept as a mark only (it grants nothing here);
// - integrations.imported_legacy_user_id: the legacy Fitbit user id whose history was imported,
//   compared with the Google Health identity's legacyUserId when the person reconnects.
// users.password_hash may now also hold a bcrypt hash ($2a$/$2b$/$2y$), replaced by scrypt on the
// first successful sign-in (src/auth/passwords.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table users add column is_active boolean not null default true`.execute(db);
  await sql`alter table users add column is_admin boolean not null default false`.execute(db);
  await sql`alter table integrations add column imported_legacy_user_id text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table integrations drop column imported_legacy_user_id`.execute(db);
  await sql`alter table users drop column is_admin`.execute(db);
  await sql`alter table users drop column is_active`.execute(db);
}
