/**
 * The events outbox (migration 0016). Repositories as functions that take `db`: callers pass their
 * transaction so an event commits (or rolls back) with the change it describes.
 *
 *   insertEvents(db, userId, events, now)  -> the new ids (one INSERT for all of them)
 *   listUserEvents(db, userId, { afterSeq?, limit }) -> the user's events, oldest first
 *   latestUserSeq(db, userId)              -> the seq of the user's newest event, 0 when none
 *   userEventSeq(db, userId, id)           -> the seq of one of the user's events, undefined if not theirs
 *   recentUserEvents(db, userId, upToSeq, limit) -> ids, seqs and times of the user's newest events up to a seq
 *   deleteUserEvents(db, userId)           -> how many were deleted (erasure)
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { EventType, NewEvent, StoredEvent } from './events.types.ts';

export const newEventId = (): string => `evt_${randomUUID().replaceAll('-', '')}`;

export async function insertEvents(
  db: Db,
  userId: number | null,
  events: readonly NewEvent[],
  now: Date,
): Promise<string[]> {
  if (events.length === 0) return [];
  const rows = events.map((e) => ({
    id: newEventId(),
    user_id: userId,
    type: e.type,
    occurred_at: now,
    payload: JSON.stringify(e.payload),
  }));
  await db.insertInto('events').values(rows).execute();
  return rows.map((r) => r.id);
}

export async function listUserEvents(
  db: Db,
  userId: number,
  options: { afterSeq?: number; limit?: number; types?: readonly EventType[] } = {},
): Promise<StoredEvent[]> {
  let q = db
    .selectFrom('events')
    .select(['id', 'seq', 'user_id', 'type', 'occurred_at', 'payload'])
    .where('user_id', '=', userId)
    .where('seq', '>', options.afterSeq ?? 0)
    .orderBy('seq')
    .limit(options.limit ?? 1_000);
  if (options.types && options.types.length > 0) q = q.where('type', 'in', options.types);
  return (await q.execute()).map(toStored);
}

export async function findEvent(db: Db, id: string): Promise<StoredEvent | undefined> {
  const row = await db
    .selectFrom('events')
    .select(['id', 'seq', 'user_id', 'type', 'occurred_at', 'payload'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toStored(row) : undefined;
}

export async function latestUserSeq(db: Db, userId: number): Promise<number> {
  const row = await db
    .selectFrom('events')
    .select('seq')
    .where('user_id', '=', userId)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? Number(row.seq) : 0;
}

export async function userEventSeq(db: Db, userId: number, id: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('events')
    .select('seq')
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row ? Number(row.seq) : undefined;
}

/** The user's events at or below `upToSeq`, newest first (id, seq, time only). */
export async function recentUserEvents(
  db: Db,
  userId: number,
  upToSeq: number,
  limit: number,
): Promise<{ id: string; seq: number; occurred_at: Date }[]> {
  const rows = await db
    .selectFrom('events')
    .select(['id', 'seq', 'occurred_at'])
    .where('user_id', '=', userId)
    .where('seq', '<=', upToSeq)
    .orderBy('seq', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, seq: Number(r.seq), occurred_at: r.occurred_at }));
}

export async function deleteUserEvents(db: Db, userId: number): Promise<number> {
  const result = await db.deleteFrom('events').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

function toStored(row: {
  id: string;
  seq: string | number | bigint;
  user_id: number | null;
  type: string;
  occurred_at: Date;
  payload: unknown;
}): StoredEvent {
  return {
    id: row.id,
    seq: Number(row.seq),
    user_id: row.user_id,
    type: row.type as EventType,
    occurred_at: row.occurred_at,
    payload: (typeof row.payload === 'string'
      ? JSON.parse(row.payload)
      : row.payload) as StoredEvent['payload'],
  };
}
