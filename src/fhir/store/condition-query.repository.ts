/**
 * Keyset-paged Condition reads (user-written, src/fhir/writes). Every query filters on the owner.
 *
 *   queryConditions(db, userId, { sort, limit, after? }) -> { rows, next }
 *   countConditions(db, userId)                          -> number
 *
 * `recorded-date` orders on effective_start, which the store fills from recordedDate (else
 * onsetDateTime) for a Condition; a Condition with neither sorts as -infinity (last when newest first).
 */
import type { Condition } from '@medplum/fhirtypes';
import { type SqlBool, sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import { type StoredResource, toStored } from './fhir.repository.ts';
import type { Keyset } from './observation-query.repository.ts';

export type ConditionSort = 'recorded-date' | '-recorded-date' | '_lastUpdated' | '-_lastUpdated';

export interface ConditionQuery {
  sort: ConditionSort;
  limit: number;
  ids?: string[];
  after?: Keyset;
}

export async function queryConditions(
  db: Db,
  userId: number,
  query: ConditionQuery,
): Promise<{ rows: StoredResource<Condition>[]; next: Keyset | undefined }> {
  const desc = query.sort.startsWith('-');
  const col = query.sort.endsWith('recorded-date')
    ? sql`coalesce(effective_start, '-infinity'::timestamptz)`
    : sql.ref('last_updated');
  let q = db
    .selectFrom('fhir_resources')
    .select(['id', 'resource', 'version_id', 'last_updated', sql<string>`${col}::text`.as('sort_value')])
    .where('user_id', '=', userId)
    .where('resource_type', '=', 'Condition');
  if (query.ids) q = q.where('id', 'in', query.ids.length > 0 ? query.ids : ['\u0000']);
  if (query.after) {
    const { value, id } = query.after;
    q = desc
      ? q.where(sql<SqlBool>`(${col}, id) < (${value}::timestamptz, ${id})`)
      : q.where(sql<SqlBool>`(${col}, id) > (${value}::timestamptz, ${id})`);
  }
  const dir = desc ? sql`desc` : sql`asc`;
  const rows = await q
    .orderBy(sql`${col} ${dir}`)
    .orderBy(sql`id ${dir}`)
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const next = rows.length > query.limit && last ? { value: last.sort_value, id: last.id } : undefined;
  return { rows: page.map((r) => toStored<Condition>(r)), next };
}

export async function countConditions(db: Db, userId: number): Promise<number> {
  const row = await db
    .selectFrom('fhir_resources')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('resource_type', '=', 'Condition')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
