/**
 * Webhook deliveries and their attempts (migration 0016), and the dispatcher's reads of the
 * outbox. Reads for the API take the owner id (through the endpoint's user_id).
 *
 *   takeUndispatched(db, limit)                 -> events not yet fanned out, oldest first, locked
 *   matchingEndpoints(db, userIds)               -> the enabled endpoints of these owners and the deployment's
 *   insertDeliveries(db, rows) / markDispatched(db, ids, now)
 *   findDelivery(db, endpointId, eventId)        -> the delivery with its endpoint and event
 *   findDeliveries(db, keys)                     -> the same for several at once (one query)
 *   settleSucceeded(db, rows)                    -> successful attempts recorded, deliveries settled (one statement)
 *   recordAttempt(db, attempt)                   -> one attempt row
 *   listDeliveries(db, userId, endpointId, limit) -> the endpoint's deliveries with their attempts
 *   pruneEvents(db, before, limit)               -> settled events older than the retention, deleted
 */

import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { DeliveryStatus } from './events.tables.ts';

export async function takeUndispatched(
  db: Db,
  limit: number,
): Promise<{ id: string; user_id: number | null; type: string }[]> {
  return db
    .selectFrom('events')
    .select(['id', 'user_id', 'type'])
    .where('dispatched_at', 'is', null)
    .orderBy('seq')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** The enabled endpoints of these owners, and the deployment's (no owner), which takes every event. */
export async function matchingEndpoints(db: Db, userIds: number[]) {
  return db
    .selectFrom('webhook_endpoints')
    .select(['id', 'user_id', 'events'])
    .where((eb) =>
      userIds.length > 0
        ? eb.or([eb('user_id', 'in', userIds), eb('user_id', 'is', null)])
        : eb('user_id', 'is', null),
    )
    .where('status', '=', 'enabled')
    .execute();
}

export async function insertDeliveries(
  db: Db,
  rows: { endpoint_id: string; event_id: string; created_at: Date }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('webhook_deliveries')
    .values(rows.map((r) => ({ ...r, status: 'pending' as const, next_attempt_at: r.created_at })))
    .onConflict((oc) => oc.columns(['endpoint_id', 'event_id']).doNothing())
    .execute();
}

export async function markDispatched(db: Db, ids: string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('events').set({ dispatched_at: now }).where('id', 'in', ids).execute();
}

const deliveryColumns = [
  'd.status',
  'd.attempts',
  'w.id as endpoint_id',
  'w.user_id',
  'w.url',
  'w.secret',
  'w.previous_secret',
  'w.previous_secret_until',
  'w.status as endpoint_status',
  'w.failing_since',
  'e.id as event_id',
  'e.type',
  'e.occurred_at',
  'e.payload',
] as const;

const deliveryWithEndpointAndEvent = (db: Db) =>
  db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .select(deliveryColumns);

export type DeliveryRow = NonNullable<Awaited<ReturnType<typeof findDelivery>>>;

export async function findDelivery(db: Db, endpointId: string, eventId: string) {
  return deliveryWithEndpointAndEvent(db)
    .where('d.endpoint_id', '=', endpointId)
    .where('d.event_id', '=', eventId)
    .executeTakeFirst();
}

export async function findDeliveries(db: Db, keys: readonly { endpointId: string; eventId: string }[]) {
  if (keys.length === 0) return [];
  return deliveryWithEndpointAndEvent(db)
    .where((eb) =>
      eb(
        eb.refTuple('d.endpoint_id', 'd.event_id'),
        'in',
        keys.map((k) => eb.tuple(k.endpointId, k.eventId)),
      ),
    )
    .execute();
}

/**
 * Successful attempts, several at once: each attempt row written, its delivery settled
 * `succeeded` and its endpoint's failure mark (failing_since) cleared, in one statement (atomic on
 * its own). A delivery deleted meanwhile (its endpoint or event erased) is skipped, attempt
 * included, instead of failing the others.
 */
export async function settleSucceeded(
  db: Db,
  rows: readonly {
    endpoint_id: string;
    event_id: string;
    attempted_at: Date;
    duration_ms: number;
    status_code: number;
    attempts: number;
  }[],
): Promise<void> {
  if (rows.length === 0) return;
  const values = sql.join(
    rows.map(
      (r) =>
        sql`(${r.endpoint_id}::uuid, ${r.event_id}::text, ${r.attempted_at}::timestamptz, ${r.duration_ms}::integer, ${r.status_code}::integer, ${r.attempts}::integer)`,
    ),
  );
  await sql`
    with v (endpoint_id, event_id, attempted_at, duration_ms, status_code, attempts) as (values ${values}),
    settled as (
      update webhook_deliveries d
         set status = 'succeeded', attempts = v.attempts, next_attempt_at = null, last_attempt_at = v.attempted_at
        from v
       where d.endpoint_id = v.endpoint_id and d.event_id = v.event_id
      returning d.endpoint_id, d.event_id
    ),
    healed as (
      update webhook_endpoints w
         set failing_since = null, updated_at = h.at
        from (select s.endpoint_id, max(v.attempted_at) as at
                from settled s join v on v.endpoint_id = s.endpoint_id and v.event_id = s.event_id
               group by s.endpoint_id) h
       where w.id = h.endpoint_id and w.failing_since is not null
    )
    insert into webhook_attempts (endpoint_id, event_id, attempted_at, duration_ms, status_code, error, ok)
    select v.endpoint_id, v.event_id, v.attempted_at, v.duration_ms, v.status_code, null, true
      from v join settled on settled.endpoint_id = v.endpoint_id and settled.event_id = v.event_id`.execute(
    db,
  );
}

/** The owner's delivery (for a retry): undefined when the endpoint is not theirs or never had it. */
export async function findOwnDelivery(db: Db, userId: number, endpointId: string, eventId: string) {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
    .select(['d.endpoint_id', 'd.event_id', 'd.status'])
    .where('w.user_id', '=', userId)
    .where('d.endpoint_id', '=', endpointId)
    .where('d.event_id', '=', eventId)
    .executeTakeFirst();
}

export async function setDelivery(
  db: Db,
  endpointId: string,
  eventId: string,
  patch: { status: DeliveryStatus; attempts?: number; next_attempt_at: Date | null; last_attempt_at?: Date },
): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set(patch)
    .where('endpoint_id', '=', endpointId)
    .where('event_id', '=', eventId)
    .execute();
}

export async function recordAttempt(
  db: Db,
  attempt: {
    endpoint_id: string;
    event_id: string;
    attempted_at: Date;
    duration_ms: number;
    status_code: number | null;
    error: string | null;
    ok: boolean;
  },
): Promise<void> {
  await db.insertInto('webhook_attempts').values(attempt).execute();
}

export async function setEndpointHealth(
  db: Db,
  endpointId: string,
  patch: {
    failing_since: Date | null;
    status?: 'enabled' | 'disabled';
    disabled_at?: Date | null;
    updated_at: Date;
  },
): Promise<void> {
  await db.updateTable('webhook_endpoints').set(patch).where('id', '=', endpointId).execute();
}

export async function listDeliveries(db: Db, userId: number, endpointId: string, limit: number) {
  const deliveries = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .select([
      'd.event_id',
      'e.type',
      'd.status',
      'd.attempts',
      'd.next_attempt_at',
      'd.last_attempt_at',
      'd.created_at',
    ])
    .where('w.user_id', '=', userId)
    .where('d.endpoint_id', '=', endpointId)
    .orderBy('d.created_at', 'desc')
    .orderBy('e.seq', 'desc')
    .limit(limit)
    .execute();
  const ids = deliveries.map((d) => d.event_id);
  const attempts =
    ids.length === 0
      ? []
      : await db
          .selectFrom('webhook_attempts')
          .select(['event_id', 'attempted_at', 'duration_ms', 'status_code', 'error', 'ok'])
          .where('endpoint_id', '=', endpointId)
          .where('event_id', 'in', ids)
          .orderBy('id')
          .execute();
  return { deliveries, attempts };
}

/** Pending deliveries whose next try is due (a lost job, a crash between dispatch and enqueue). */
export async function dueDeliveries(db: Db, before: Date, limit: number) {
  return db
    .selectFrom('webhook_deliveries')
    .select(['endpoint_id', 'event_id'])
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<', before)
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
}

/**
 * Retention: events dispatched before `before` with no delivery still pending, and with them
 * their deliveries and attempts (cascade). At most `limit` per call.
 */
export async function pruneEvents(db: Db, before: Date, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('events')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('events as e')
        .select('e.id')
        .where('e.dispatched_at', '<', before)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('webhook_deliveries as d')
                .select('d.event_id')
                .whereRef('d.event_id', '=', 'e.id')
                .where('d.status', '=', 'pending'),
            ),
          ),
        )
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
