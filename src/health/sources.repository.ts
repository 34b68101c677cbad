/**
 * A person's stored source priorities (table source_priorities, migration 0015). Every query
 * filters on the owner.
 *
 *   findPriorities(db, userId, scopes?)   -> Map<scope, sources> (scope: a type, or `group:<name>`)
 *   replacePriorities(db, userId, lists, now) -> the person's lists become exactly `lists`
 *   deletePriorities(db, userId)          -> erasure
 *   storedListQuery(db, userId, scope)    -> a subquery: one scope's list, comma-joined (the summary's)
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

export async function findPriorities(
  db: Db,
  userId: number,
  scopes?: readonly string[],
): Promise<Map<string, string[]>> {
  if (scopes?.length === 0) return new Map();
  const rows = await db
    .selectFrom('source_priorities')
    .select(['scope', 'sources'])
    .where('user_id', '=', userId)
    .$if(scopes !== undefined, (q) => q.where('scope', 'in', scopes as string[]))
    .execute();
  return new Map(rows.map((r) => [r.scope, r.sources]));
}

/** In the caller's transaction: what was stored and is not in `lists` goes. */
export async function replacePriorities(
  db: Db,
  userId: number,
  lists: ReadonlyMap<string, readonly string[]>,
  now: Date,
): Promise<void> {
  await db.deleteFrom('source_priorities').where('user_id', '=', userId).execute();
  if (lists.size === 0) return;
  await db
    .insertInto('source_priorities')
    .values(
      [...lists].map(([scope, sources]) => ({
        user_id: userId,
        scope,
        sources: [...sources],
        updated_at: now,
      })),
    )
    .execute();
}

export async function deletePriorities(db: Db, userId: number): Promise<void> {
  await db.deleteFrom('source_priorities').where('user_id', '=', userId).execute();
}

/** One scope's list as comma-joined text (source ids hold no comma), for the summary's statement. */
export function storedListQuery(db: Db, userId: number, scope: string) {
  return db
    .selectFrom('source_priorities')
    .select(sql<string>`array_to_string(sources, ',')`.as('sources'))
    .where('user_id', '=', userId)
    .where('scope', '=', scope);
}
