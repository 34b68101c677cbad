import type { Kysely } from 'kysely';

// After an erasure, tokens an external identity provider issued before it must not recreate the
// account on their next request (src/auth/auth.service.ts): the identity is kept here, hashed, for a
// day (longer than such tokens live), then pruned.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('erased_identities')
    .addColumn('subject_hash', 'text', (c) => c.primaryKey())
    .addColumn('erased_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('erased_identities').execute();
}
