/**
 * Notices (migration 0017). Reads and the dismissal take the owner id and filter on it; the
 * writes that raise and resolve notices run inside the transaction of the change that causes them.
 *
 *   raiseNotice(db, notice)                       -> inserted, unless one is unresolved for (integration, kind)
 *   resolveNotices(db, integrationId, kinds, now)  -> unresolved notices of these kinds marked resolved
 *   listOpen(db, userId)                           -> not dismissed, not resolved, newest first
 *   dismissNotice(db, userId, id, now)             -> false when it is not the owner's (or unknown)
 *   openNoticesByIntegration(db, userId)           -> the newest open notice of each integration
 *   lastFinishedStatuses(db, integrationId, n)     -> statuses of its latest n finished run items
 *   hasUnresolved(db, integrationId, kind)         -> whether such a notice is still unresolved
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { NoticeKind } from './notices.tables.ts';

export interface NewNotice {
  user_id: number;
  kind: NoticeKind;
  integration_id: string;
  vendor: string;
  code: string;
  message: string;
  created_at: Date;
}

const openColumns = ['id', 'kind', 'vendor', 'integration_id', 'code', 'message', 'created_at'] as const;

export async function raiseNotice(db: Db, notice: NewNotice): Promise<boolean> {
  const result = await db
    .insertInto('notices')
    .values({ id: randomUUID(), ...notice })
    .onConflict((oc) => oc.columns(['integration_id', 'kind']).where('resolved_at', 'is', null).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function resolveNotices(
  db: Db,
  integrationId: string,
  kinds: readonly NoticeKind[],
  now: Date,
): Promise<void> {
  await db
    .updateTable('notices')
    .set({ resolved_at: now })
    .where('integration_id', '=', integrationId)
    .where('kind', 'in', kinds)
    .where('resolved_at', 'is', null)
    .execute();
}

export async function listOpen(db: Db, userId: number) {
  return db
    .selectFrom('notices')
    .select(openColumns)
    .where('user_id', '=', userId)
    .where('dismissed_at', 'is', null)
    .where('resolved_at', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
}

export async function dismissNotice(db: Db, userId: number, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('notices')
    .set((eb) => ({ dismissed_at: eb.fn.coalesce('dismissed_at', eb.val(now)) }))
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The newest open (not dismissed, not resolved) notice of each of the owner's integrations. */
export async function openNoticesByIntegration(db: Db, userId: number) {
  const rows = await listOpen(db, userId);
  const byIntegration = new Map<string, (typeof rows)[number]>();
  for (const row of rows)
    if (!byIntegration.has(row.integration_id)) byIntegration.set(row.integration_id, row);
  return byIntegration;
}

export async function lastFinishedStatuses(db: Db, integrationId: string, n: number): Promise<string[]> {
  const rows = await db
    .selectFrom('sync_run_items')
    .select('status')
    .where('integration_id', '=', integrationId)
    .where('finished_at', 'is not', null)
    .orderBy('finished_at', 'desc')
    .limit(n)
    .execute();
  return rows.map((r) => r.status);
}

export async function hasUnresolved(db: Db, integrationId: string, kind: NoticeKind): Promise<boolean> {
  const row = await db
    .selectFrom('notices')
    .select('id')
    .where('integration_id', '=', integrationId)
    .where('kind', '=', kind)
    .where('resolved_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}
