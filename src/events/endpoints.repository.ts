/**
 * A person's webhook endpoints (migration 0016). Every function takes the owner id and filters on
 * it: another person's endpoint is simply not found.
 */
import type { Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { WebhookEndpointsTable } from './events.tables.ts';

export type EndpointRow = Selectable<WebhookEndpointsTable>;

export async function insertEndpoint(
  db: Db,
  row: Omit<
    EndpointRow,
    'status' | 'disabled_at' | 'failing_since' | 'previous_secret' | 'previous_secret_until'
  >,
): Promise<EndpointRow> {
  return db.insertInto('webhook_endpoints').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function listEndpoints(db: Db, userId: number): Promise<EndpointRow[]> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function findEndpoint(db: Db, userId: number, id: string): Promise<EndpointRow | undefined> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function deleteEndpoint(db: Db, userId: number, id: string): Promise<boolean> {
  const result = await db
    .deleteFrom('webhook_endpoints')
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The new secret signs from now on; the one it replaces keeps signing too until `oldUntil`. */
export async function replaceSecret(
  db: Db,
  userId: number,
  id: string,
  secret: string,
  now: Date,
  oldUntil: Date,
): Promise<EndpointRow | undefined> {
  return db
    .updateTable('webhook_endpoints')
    .set((eb) => ({
      secret,
      previous_secret: eb.ref('secret'),
      previous_secret_until: oldUntil,
      updated_at: now,
    }))
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Erasure: the person's endpoints (they also cascade from users; named here to be explicit). */
export async function deleteUserEndpoints(db: Db, userId: number): Promise<number> {
  const result = await db.deleteFrom('webhook_endpoints').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}
