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

/** Separates one event's ids in a single text (no id this API stores contains a control character). */
const ID_SEPARATOR = '\u001f';

/**
 * One statement per batch: one array per column, each event's ids as one text split in SQL.
 * Why: the audit of a page read is a large share of PostgreSQL's CPU per page, and arrays skip the
 * JSON parse of a jsonb_to_recordset document, as the FHIR upsert does (bench/api/README.md).
 */
export async function insertEvents(db: Db, events: AuditEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const col = <T>(pick: (e: AuditEvent) => T) => events.map(pick);
  const ids = col((e) =>
    e.resource_ids.map((id) => id.replaceAll(ID_SEPARATOR, '\uFFFD')).join(ID_SEPARATOR),
  );
  const result = await sql`
    insert into audit_events (user_id, actor_user_id, action, resource_type, resource_ids, item_count, detail,
      at, request_id, ip)
    select e.user_id, e.actor_user_id, e.action, e.resource_type,
      -- string_to_array('') is '{}': a single (even empty) id is taken as is.
      case e.n when 0 then '{}'::text[] when 1 then array[e.ids] else string_to_array(e.ids, ${ID_SEPARATOR}) end,
      e.item_count, e.detail::jsonb, e.at, e.request_id, e.ip
    from unnest(${col((e) => e.user_id)}::integer[], ${col((e) => e.actor_user_id)}::integer[],
      ${col((e) => e.action)}::text[], ${col((e) => e.resource_type)}::text[], ${ids}::text[], ${col((e) => e.resource_ids.length)}::integer[],
      ${col((e) => e.item_count)}::integer[], ${col((e) => (e.detail === null ? null : JSON.stringify(e.detail)))}::text[],
      ${col((e) => e.at)}::timestamptz[], ${col((e) => e.request_id)}::text[], ${col((e) => e.ip)}::text[])
      as e(user_id, actor_user_id, action, resource_type, ids, n, item_count, detail, at, request_id, ip)
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
