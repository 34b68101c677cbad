import type { Kysely } from 'kysely';

// Two states that let failures end without holding anything:
// - fhir_outbox.dead_at: a change the external FHIR server refused (4xx) on every attempt is set
//   aside as a dead letter: no longer pushed, no longer counted as replication lag, kept for an
//   operator to requeue or clear (docs/integration.md, "Replication dead letters").
// - integration_tokens.refresh_claim / refresh_claimed_until: a short lease taken by the process
//   refreshing an access token, so the call to the vendor runs outside any transaction while other
//   processes still wait for it instead of refreshing too (src/integrations/access-tokens.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('fhir_outbox').addColumn('dead_at', 'timestamptz').execute();
  await db.schema
    .alterTable('integration_tokens')
    .addColumn('refresh_claim', 'text')
    .addColumn('refresh_claimed_until', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('integration_tokens')
    .dropColumn('refresh_claim')
    .dropColumn('refresh_claimed_until')
    .execute();
  await db.schema.alterTable('fhir_outbox').dropColumn('dead_at').execute();
}
