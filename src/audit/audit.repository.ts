/**
 * audit_events. Reads filter on the owner; the batch insert drops events of accounts that no
 * longer exist (an erased person's token may still be in flight for a few seconds).
 *
 *   insertEvents(db, events)                  -> number inserted
 *   listEvents(db, userId, { after, limit })  -> newest first, keyset on (at, id)
 *   deleteEventsOfUser(db, userId)             -> rows deleted (subject or actor)
 */
import { type SqlBool, sql } from 'kysely';
import type { Db } from '../db/database.ts';

export interface AuditEvent {
  user_id: number | null;
  actor_user_id: number | null;
  action: string;
  resource_type: string | null;
  resource_ids: string[];
  item_count: number | null;
  detail: Record<string, unknown> | null;
  at: Date;
  request_id: string | null;
  ip: string | null;
}

export interface AuditRow extends Omit<AuditEvent, 'detail'> {
  id: number;
  detail: unknown;
}

export interface AuditKeyset {
  atMicros: string;
  id: number;
}

export async function insertEvents(db: Db, events: AuditEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const json = JSON.stringify(events.map((e) => ({ ...e, at: e.at.toISOString() })));
  const result = await sql`
    insert into audit_events (user_id, actor_user_id, action, resource_type, resource_ids, item_count, detail,
      at, request_id, ip)
    select e.user_id, e.actor_user_id, e.action, e.resource_type, coalesce(e.resource_ids, '{}'), e.item_count,
      e.detail, e.at, e.request_id, e.ip
    from jsonb_to_recordset(${json}::jsonb) as e(user_id integer, actor_user_id integer, action text,
      resource_type text, resource_ids text[], item_count integer, detail jsonb, at timestamptz,
      request_id text, ip text)
    where e.user_id is null or exists (select 1 from users u where u.id = e.user_id)
  `.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export async function listEvents(
  db: Db,
  userId: number,
  page: { after: AuditKeyset | undefined; limit: number },
): Promise<{ rows: AuditRow[]; next: AuditKeyset | undefined }> {
  let q = db
    .selectFrom('audit_events')
    .select([
      'id',
      'user_id',
      'actor_user_id',
      'action',
      'resource_type',
      'resource_ids',
      'item_count',
      'detail',
      'at',
      'request_id',
      'ip',
      sql<string>`(extract(epoch from at) * 1000000)::bigint::text`.as('at_us'),
    ])
    .where('user_id', '=', userId);
  if (page.after) {
    const at = sql`(timestamptz 'epoch' + ${page.after.atMicros}::bigint * interval '1 microsecond')`;
    q = q.where(sql<SqlBool>`(at, id) < (${at}, ${page.after.id}::bigint)`);
  }
  const rows = await q
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const list = rows.slice(0, page.limit);
  const last = list[list.length - 1];
  const next = rows.length > page.limit && last ? { atMicros: last.at_us, id: Number(last.id) } : undefined;
  return { rows: list.map(({ at_us: _, ...r }) => ({ ...r, id: Number(r.id) })), next };
}

export async function deleteEventsOfUser(db: Db, userId: number): Promise<number> {
  const result = await db
    .deleteFrom('audit_events')
    .where((eb) => eb.or([eb('user_id', '=', userId), eb('actor_user_id', '=', userId)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
