/**
 * The latest sync run item per integration of one user (read-only over the sync engine's tables).
 *
 *   latestRunItems(db, userId, integrationIds) -> Map<integrationId, LatestRunItem>
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { SyncError } from '../sync/sync.tables.ts';

export interface LatestRunItem {
  integration_id: string;
  run_id: string;
  status: string;
  errors: SyncError[];
  created: number;
  updated: number;
  started_at: Date | null;
  finished_at: Date | null;
  requested_at: Date;
}

export async function latestRunItems(
  db: Db,
  userId: number,
  integrationIds: string[],
): Promise<Map<string, LatestRunItem>> {
  if (integrationIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('sync_run_items as i')
    .innerJoin('sync_runs as r', 'r.id', 'i.run_id')
    .select([
      'i.integration_id',
      'i.run_id',
      'i.status',
      'i.errors',
      'i.created',
      'i.updated',
      'i.started_at',
      'i.finished_at',
      'r.created_at as requested_at',
    ])
    .distinctOn('i.integration_id')
    .where('r.user_id', '=', userId)
    .where('i.integration_id', 'in', integrationIds)
    .orderBy('i.integration_id')
    .orderBy('r.created_at', 'desc')
    .orderBy(sql`i.started_at desc nulls first`)
    .execute();
  return new Map(
    rows.map((r) => [
      r.integration_id,
      { ...r, errors: Array.isArray(r.errors) ? r.errors : [] } as LatestRunItem,
    ]),
  );
}
