/**
 * Sync runs, their per-integration items, and cursors. Reads a request reaches take the owner id
 * (`findRunForUser`); the rest is system-scoped for the job handler, which carries ids only.
 */
import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { SyncError, SyncRunItemsTable, SyncRunsTable } from './sync.tables.ts';

export type SyncRunRow = Selectable<SyncRunsTable>;
export type SyncItemRow = Selectable<SyncRunItemsTable>;

export interface ItemCounts {
  requests: number;
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
}

export async function insertRun(
  db: Db,
  run: { id: string; userId: number; reason: string; now: Date },
  items: { integrationId: string; vendor: string; jobId?: string | null }[],
): Promise<void> {
  await db
    .insertInto('sync_runs')
    .values({ id: run.id, user_id: run.userId, reason: run.reason, created_at: run.now })
    .execute();
  if (items.length === 0) return;
  await db
    .insertInto('sync_run_items')
    .values(
      items.map((i) => ({
        run_id: run.id,
        integration_id: i.integrationId,
        vendor: i.vendor,
        job_id: i.jobId ?? null,
        status: 'queued',
      })),
    )
    .execute();
}

export async function findRunForUser(
  db: Db,
  userId: number,
  runId: string,
): Promise<{ run: SyncRunRow; items: SyncItemRow[] } | undefined> {
  const run = await db
    .selectFrom('sync_runs')
    .selectAll()
    .where('user_id', '=', userId)
    .where('id', '=', runId)
    .executeTakeFirst();
  if (!run) return undefined;
  const items = await db
    .selectFrom('sync_run_items')
    .selectAll()
    .where('run_id', '=', runId)
    .orderBy('vendor')
    .execute();
  return { run, items };
}

/** The user's newest runs with their items, newest first (the dashboard's run history). */
export async function listRunsForUser(
  db: Db,
  userId: number,
  limit: number,
): Promise<{ run: SyncRunRow; items: SyncItemRow[] }[]> {
  const runs = await db
    .selectFrom('sync_runs')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
  if (runs.length === 0) return [];
  const items = await db
    .selectFrom('sync_run_items')
    .selectAll()
    .where(
      'run_id',
      'in',
      runs.map((r) => r.id),
    )
    .orderBy('vendor')
    .execute();
  return runs.map((run) => ({ run, items: items.filter((i) => i.run_id === run.id) }));
}

/**
 * The user's newest unfinished full (not webhook-targeted) run that covers one of `integrationIds`
 * and was queued or started since `since` (older ones count as lost: ORPHAN_AFTER_MS).
 */
export async function findOpenRun(
  db: Db,
  userId: number,
  integrationIds: readonly string[],
  since: Date,
): Promise<string | undefined> {
  if (integrationIds.length === 0) return undefined;
  const row = await db
    .selectFrom('sync_run_items as i')
    .innerJoin('sync_runs as r', 'r.id', 'i.run_id')
    .select('r.id')
    .where('r.user_id', '=', userId)
    .where('i.integration_id', 'in', integrationIds)
    .where('i.finished_at', 'is', null)
    .where('r.reason', '!=', 'webhook')
    .where((eb) => eb.fn.coalesce('i.started_at', 'r.created_at'), '>=', since)
    .orderBy('r.created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.id;
}

/** Of `integrationIds`, those with an unfinished full run queued or started since `since` (the scheduler's check). */
export async function integrationsWithOpenRun(
  db: Db,
  integrationIds: readonly string[],
  since: Date,
): Promise<Set<string>> {
  if (integrationIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('sync_run_items as i')
    .innerJoin('sync_runs as r', 'r.id', 'i.run_id')
    .select('i.integration_id')
    .distinct()
    .where('i.integration_id', 'in', integrationIds)
    .where('i.finished_at', 'is', null)
    .where('r.reason', '!=', 'webhook')
    .where((eb) => eb.fn.coalesce('i.started_at', 'r.created_at'), '>=', since)
    .execute();
  return new Set(rows.map((r) => r.integration_id));
}

/**
 * Serializes sync requests of one user until the transaction ends (a row lock on the user, which
 * plain reads and foreign keys do not wait for): the check for an open run and the insert of a
 * new one happen as one step, in any process.
 */
export async function lockUserSyncRequests(db: Db, userId: number): Promise<void> {
  await db.selectFrom('users').select('id').where('id', '=', userId).forNoKeyUpdate().execute();
}

export async function findItem(
  db: Db,
  runId: string,
  integrationId: string,
): Promise<SyncItemRow | undefined> {
  return db
    .selectFrom('sync_run_items')
    .selectAll()
    .where('run_id', '=', runId)
    .where('integration_id', '=', integrationId)
    .executeTakeFirst();
}

/** The unfinished item a job started earlier (a retry, a delay, a recovered stalled job). */
export async function findOpenItemForJob(
  db: Db,
  integrationId: string,
  jobId: string,
): Promise<SyncItemRow | undefined> {
  return db
    .selectFrom('sync_run_items')
    .selectAll()
    .where('integration_id', '=', integrationId)
    .where('job_id', '=', jobId)
    .where('finished_at', 'is', null)
    .executeTakeFirst();
}

export async function startItem(
  db: Db,
  runId: string,
  integrationId: string,
  start: { jobId: string; plan: unknown; windowStart: string | null; windowEnd: string | null; now: Date },
): Promise<void> {
  await db
    .updateTable('sync_run_items')
    .set({
      job_id: start.jobId,
      status: 'running',
      plan: JSON.stringify(start.plan),
      window_start: start.windowStart,
      window_end: start.windowEnd,
      started_at: start.now,
    })
    .where('run_id', '=', runId)
    .where('integration_id', '=', integrationId)
    .execute();
}

/** Adds requests and written resources to the run item's counts. */
export async function addCounts(
  db: Db,
  runId: string,
  integrationId: string,
  counts: ItemCounts,
): Promise<void> {
  await updateItem(db, runId, integrationId, counts, undefined);
}

/**
 * Saves the run's plan (per-type progress, errors) with the counts of the step that moved it, in
 * one statement: inside a chunk's transaction, so a resumed run starts after the last commit.
 */
export async function saveProgress(
  db: Db,
  runId: string,
  integrationId: string,
  counts: ItemCounts,
  plan: unknown,
): Promise<void> {
  await updateItem(db, runId, integrationId, counts, plan);
}

async function updateItem(
  db: Db,
  runId: string,
  integrationId: string,
  counts: ItemCounts,
  plan: unknown,
): Promise<void> {
  await db
    .updateTable('sync_run_items')
    .set((eb) => ({
      requests: eb('requests', '+', counts.requests),
      fetched: eb('fetched', '+', counts.fetched),
      created: eb('created', '+', counts.created),
      updated: eb('updated', '+', counts.updated),
      unchanged: eb('unchanged', '+', counts.unchanged),
      ...(plan !== undefined ? { plan: JSON.stringify(plan) } : {}),
    }))
    .where('run_id', '=', runId)
    .where('integration_id', '=', integrationId)
    .execute();
}

export async function finishItem(
  db: Db,
  runId: string,
  integrationId: string,
  finish: { status: string; errors: SyncError[]; now: Date },
): Promise<{ created: number; updated: number; unchanged: number } | undefined> {
  return db
    .updateTable('sync_run_items')
    .set({ status: finish.status, errors: JSON.stringify(finish.errors), finished_at: finish.now })
    .where('run_id', '=', runId)
    .where('integration_id', '=', integrationId)
    .where('finished_at', 'is', null)
    .returning(['created', 'updated', 'unchanged'])
    .executeTakeFirst();
}

export async function readCursors(db: Db, integrationId: string): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('sync_cursors')
    .select(['data_type', 'through_date'])
    .where('integration_id', '=', integrationId)
    .execute();
  return new Map(rows.map((r) => [r.data_type, r.through_date]));
}

/** Moves a cursor forward only (a targeted re-read of old days never moves it back). */
export async function advanceCursor(
  db: Db,
  integrationId: string,
  dataType: string,
  throughDate: string,
  now: Date,
): Promise<void> {
  await db
    .insertInto('sync_cursors')
    .values({
      integration_id: integrationId,
      data_type: dataType,
      through_date: throughDate,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['integration_id', 'data_type']).doUpdateSet({
        through_date: sql`greatest(sync_cursors.through_date, excluded.through_date)`,
        updated_at: now,
      }),
    )
    .execute();
}

/** The user's IANA time zone, from the vendor's settings (drives local dates and summaries). */
export async function setUserTimeZone(db: Db, userId: number, zone: string): Promise<void> {
  await db
    .updateTable('users')
    .set({ time_zone: zone })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('time_zone', 'is', null), eb('time_zone', '!=', zone)]))
    .execute();
}

/** The scheduler enqueued it: the next tick should not enqueue it again. */
export async function setNextSyncAt(db: Db, integrationId: string, at: Date): Promise<void> {
  await db.updateTable('integrations').set({ next_sync_at: at }).where('id', '=', integrationId).execute();
}

/**
 * Unfinished run items that nothing has touched since `before`: their job was lost (Redis
 * restarted without persistence, an in-process runner stopped with work queued). The scheduler
 * re-enqueues them by run id, so the same run resumes from its stored plan and cursors.
 */
export async function listOrphanedItems(
  db: Db,
  before: Date,
  limit: number,
): Promise<{ run_id: string; integration_id: string }[]> {
  return db
    .selectFrom('sync_run_items')
    .innerJoin('sync_runs', 'sync_runs.id', 'sync_run_items.run_id')
    .innerJoin('integrations', 'integrations.id', 'sync_run_items.integration_id')
    .select(['sync_run_items.run_id', 'sync_run_items.integration_id'])
    .where('sync_run_items.finished_at', 'is', null)
    .where((eb) => eb.fn.coalesce('sync_run_items.started_at', 'sync_runs.created_at'), '<', before)
    .where('integrations.status', '=', 'connected')
    .where('integrations.is_active', '=', true)
    .orderBy('sync_runs.created_at')
    .limit(limit)
    .execute();
}
