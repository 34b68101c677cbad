/**
 * The replication outbox: one pending row per resource, written in the same transaction as the
 * store change. A newer change to a resource still pending folds into its row (action replaced,
 * `seq` bumped), so the pusher always sends the latest state and never deletes a row it did not send.
 *
 *   enqueueChanges(db, userId, keys, action, now)  -> void
 *   takeDue(db, now, limit)                         -> due rows, oldest first
 *   completeRows(db, sent)                          -> deletes the rows whose seq is unchanged
 *   deferRows(db, ids, attempts -> next time, error)
 *   deadLetterRows(db, ids, error, now)             -> set aside: never due again until a new change or an operator
 *   outboxStats(db, now)                            -> { pending, failing, oldestAgeSeconds, lastError, dead }
 *
 * A dead letter is a row the server refused on every attempt (a 4xx): `dead_at` set and
 * `next_attempt_at` at infinity, so it leaves the due index and the lag. A newer change to the
 * resource revives it with a fresh attempt count.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { FhirOutboxTable } from './fhir.tables.ts';

export interface OutboxKey {
  resource_type: string;
  id: string;
  identifier: string | null;
}

export interface OutboxRow {
  id: number;
  user_id: number;
  resource_type: string;
  resource_id: string;
  identifier: string | null;
  action: FhirOutboxTable['action'];
  seq: number;
  attempts: number;
  enqueued_at: Date;
}

export async function enqueueChanges(
  db: Db,
  userId: number,
  keys: OutboxKey[],
  action: 'put' | 'delete',
  now: Date,
): Promise<void> {
  if (keys.length === 0) return;
  await sql`
    insert into fhir_outbox (user_id, resource_type, resource_id, identifier, action, seq, enqueued_at,
      attempts, next_attempt_at)
    select ${userId}, t.resource_type, t.id, t.identifier, ${action}, 1, ${now}, 0, ${now}
    from unnest(${keys.map((k) => k.resource_type)}::text[], ${keys.map((k) => k.id)}::text[],
      ${keys.map((k) => k.identifier)}::text[]) as t(resource_type, id, identifier)
    on conflict (resource_type, resource_id) do update set
      action = excluded.action,
      identifier = coalesce(excluded.identifier, fhir_outbox.identifier),
      seq = fhir_outbox.seq + 1,
      attempts = case when fhir_outbox.dead_at is null then fhir_outbox.attempts else 0 end,
      dead_at = null,
      next_attempt_at = least(fhir_outbox.next_attempt_at, excluded.next_attempt_at)
  `.execute(db);
}

export async function takeDue(db: Db, now: Date, limit: number): Promise<OutboxRow[]> {
  return db
    .selectFrom('fhir_outbox')
    .select([
      'id',
      'user_id',
      'resource_type',
      'resource_id',
      'identifier',
      'action',
      'seq',
      'attempts',
      'enqueued_at',
    ])
    .where('next_attempt_at', '<=', now)
    .where('dead_at', 'is', null)
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute() as Promise<OutboxRow[]>;
}

/** Removes delivered rows, unless a newer change was folded in meanwhile (seq moved on). */
export async function completeRows(db: Db, sent: { id: number; seq: number }[]): Promise<void> {
  if (sent.length === 0) return;
  await sql`
    delete from fhir_outbox o using unnest(${sent.map((s) => s.id)}::bigint[], ${sent.map((s) => s.seq)}::int[])
      as t(id, seq)
    where o.id = t.id and o.seq = t.seq
  `.execute(db);
}

export async function deferRows(
  db: Db,
  rows: { id: number; nextAttemptAt: Date }[],
  error: string,
): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    update fhir_outbox o set attempts = o.attempts + 1, next_attempt_at = t.next, last_error = ${error.slice(0, 500)}
    from unnest(${rows.map((r) => r.id)}::bigint[], ${rows.map((r) => r.nextAttemptAt.toISOString())}::timestamptz[])
      as t(id, next)
    where o.id = t.id
  `.execute(db);
}

/** Sets rows aside as dead letters (the server refused them for good). */
export async function deadLetterRows(db: Db, ids: number[], error: string, now: Date): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    update fhir_outbox set attempts = attempts + 1, next_attempt_at = 'infinity', dead_at = ${now},
      last_error = ${error.slice(0, 500)}
    where id = any(${ids}::bigint[])
  `.execute(db);
}

export interface OutboxStats {
  /** Rows still to be delivered (dead letters excluded). */
  pending: number;
  failing: number;
  /** Age of the oldest row still to be delivered. */
  oldestAgeSeconds: number;
  lastError: string | null;
  /** Dead letters waiting for an operator (or a newer change). */
  dead: number;
}

export async function outboxStats(db: Db, now: Date): Promise<OutboxStats> {
  const row = await db
    .selectFrom('fhir_outbox')
    .select([
      sql<number>`count(*) filter (where dead_at is null)`.as('pending'),
      sql<number>`count(*) filter (where dead_at is null and attempts > 0)`.as('failing'),
      sql<Date | string | null>`min(enqueued_at) filter (where dead_at is null)`.as('oldest'),
      sql<number>`count(*) filter (where dead_at is not null)`.as('dead'),
      sql<
        string | null
      >`(array_agg(last_error order by id desc) filter (where last_error is not null))[1]`.as('last_error'),
    ])
    .executeTakeFirstOrThrow();
  const oldest = row.oldest ? new Date(row.oldest) : undefined;
  return {
    pending: Number(row.pending),
    failing: Number(row.failing),
    oldestAgeSeconds: oldest ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : 0,
    lastError: row.last_error,
    dead: Number(row.dead),
  };
}
