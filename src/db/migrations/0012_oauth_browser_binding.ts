import type { Kysely } from 'kysely';

// A pending OAuth state is bound to the browser that started it (RFC 9700 §4.7.1): the SHA-256
// of a random value held in that browser's HttpOnly cookie (src/integrations/browser-binding.ts).
// States issued before this column existed have none, so their callbacks fail closed and the user
// starts again.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('oauth_states').addColumn('browser_binding_hash', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('oauth_states').dropColumn('browser_binding_hash').execute();
}
