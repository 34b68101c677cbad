/**
 * What erasure deletes beyond the FHIR store and the audit trail. Every statement filters on the
 * owner. Most tables with a user_id cascade from users anyway; naming them here makes the order
 * (and what an erasure covers) explicit. fhir_resources does not (migration 0010): the FHIR store
 * deletes it, after `lockUserRow`.
 */
import type { Db } from '../db/database.ts';
import { deleteUserEndpoints } from '../events/endpoints.repository.ts';
import { deleteUserEvents } from '../events/events.repository.ts';
import { deletePriorities } from '../health/sources.repository.ts';

export async function deleteAccountRows(db: Db, userId: number): Promise<{ integrations: number }> {
  await db.deleteFrom('oauth_states').where('user_id', '=', userId).execute();
  await db.deleteFrom('integration_tokens').where('user_id', '=', userId).execute();
  const integrations = await db.deleteFrom('integrations').where('user_id', '=', userId).executeTakeFirst();
  await db.deleteFrom('refresh_tokens').where('user_id', '=', userId).execute();
  await deletePriorities(db, userId);
  await deleteUserEvents(db, userId);
  await deleteUserEndpoints(db, userId);
  return { integrations: Number(integrations.numDeletedRows) };
}

/** Outbox rows still naming the person: all of them when nothing replicates, else only pending puts. */
export async function deleteOutboxRows(db: Db, userId: number, replicating: boolean): Promise<void> {
  let q = db.deleteFrom('fhir_outbox').where('user_id', '=', userId);
  if (replicating) q = q.where('action', '=', 'put');
  await q.execute();
}

export async function deleteUserRow(db: Db, userId: number): Promise<boolean> {
  const result = await db.deleteFrom('users').where('id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * Taken first in the erasure transaction. A FHIR store write (a sync committing a chunk) holds a KEY
 * SHARE lock on the user row until it commits (src/fhir/store: in place of a foreign key on
 * fhir_resources); taking the row FOR UPDATE first makes erasure wait for that commit, then delete
 * its rows too, instead of deadlocking with it halfway through its deletes or missing them.
 */
export async function lockUserRow(db: Db, userId: number): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
  return row !== undefined;
}
