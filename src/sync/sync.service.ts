/**
 * Sync requests and results (principal first), and the enqueue side of the engine.
 *
 *   requestSync(principal)            -> { sync_id, status: 'queued' }   (one job per integration)
 *   syncNow(principal)                -> SyncResult once every integration finished (or the wait ran out)
 *   getResult(principal, syncId)      -> SyncResult (404 for another user's run)
 *   enqueueDue()                      -> how many integrations were enqueued (the scheduler's tick)
 *   enqueueBackfill(integrationId)    -> after a successful OAuth callback
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Principal } from '../auth/auth.service.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { notFound } from '../errors.ts';
import * as integrations from '../integrations/integrations.repository.ts';
import type { Enqueue } from '../jobs/registry.ts';
import type { Log } from '../log.ts';
import type { SyncJobs } from './sync.jobs.ts';
import * as repo from './sync.repository.ts';
import { type SyncResult, toSyncResult } from './sync.result.ts';

/** An unfinished run untouched this long has lost its job (the longest retry backoff is 10 min). */
export const ORPHAN_AFTER_MS = 15 * 60_000;

export interface SyncServiceDeps {
  db: Db;
  clock: Clock;
  log: Log;
  enqueue: Enqueue<SyncJobs>;
  intervalMinutes: number;
  /** How long POST /health/sync/immediate waits for the jobs (default 25 s). */
  immediateTimeoutMs?: number;
}

/** Integrations a sync request covers: connected ones, and broken ones (reported as failed). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const SYNCABLE = new Set(['connected', 'needs_reauth', 'provider_unavailable']);

export type SyncService = ReturnType<typeof createSyncService>;

export function createSyncService(deps: SyncServiceDeps) {
  const { db, clock, log } = deps;

  async function getResult(principal: Principal, syncId: string): Promise<SyncResult> {
    const found = UUID.test(syncId) ? await repo.findRunForUser(db, principal.userId, syncId) : undefined;
    if (!found) throw notFound('Sync');
    return toSyncResult(found.run, found.items);
  }

  async function requestSync(principal: Principal): Promise<{ sync_id: string; status: 'queued' }> {
    const rows = await integrations.listIntegrations(db, principal.userId, { activeOnly: true });
    const targets = rows.filter((r) => SYNCABLE.has(r.status));
    const runId = randomUUID();
    await repo.insertRun(
      db,
      { id: runId, userId: principal.userId, reason: 'manual', now: clock.now() },
      targets.map((r) => ({ integrationId: r.id, vendor: r.vendor })),
    );
    for (const r of targets) {
      await deps.enqueue(
        'sync.integration',
        { integrationId: r.id, syncRunId: runId, reason: 'manual' },
        { jobId: `sync:${runId}:${r.id}` },
      );
    }
    return { sync_id: runId, status: 'queued' };
  }

  return {
    requestSync,
    getResult,

    async syncNow(principal: Principal): Promise<SyncResult> {
      const { sync_id } = await requestSync(principal);
      const deadline = Date.now() + (deps.immediateTimeoutMs ?? 25_000);
      for (let wait = 25; ; wait = Math.min(wait * 2, 250)) {
        const result = await getResult(principal, sync_id);
        if (result.finished_at !== null || Date.now() >= deadline) return result;
        await sleep(wait);
      }
    },

    async enqueueDue(): Promise<number> {
      const now = clock.now();
      const due = await integrations.listDueIntegrations(db, now, 500);
      const next = new Date(now.getTime() + deps.intervalMinutes * 60_000);
      for (const row of due) {
        await deps.enqueue(
          'sync.integration',
          { integrationId: row.id, reason: row.last_sync_at ? 'scheduled' : 'backfill' },
          { jobId: `sync:${row.id}` },
        );
        await repo.setNextSyncAt(db, row.id, next);
      }
      if (due.length > 0) log.info({ count: due.length }, 'sync: due integrations enqueued');
      // Runs whose job was lost resume where their committed chunks left off. A job that is only
      // slow gets a deduplicated or serialized twin (one run per integration) that finds it done.
      const orphans = await repo.listOrphanedItems(db, new Date(now.getTime() - ORPHAN_AFTER_MS), 100);
      for (const item of orphans) {
        await deps.enqueue(
          'sync.integration',
          { integrationId: item.integration_id, syncRunId: item.run_id, reason: 'scheduled' },
          { jobId: `sync:${item.integration_id}` },
        );
      }
      if (orphans.length > 0) log.warn({ count: orphans.length }, 'sync: orphaned runs re-enqueued');
      return due.length + orphans.length;
    },

    async enqueueBackfill(integrationId: string): Promise<void> {
      await deps.enqueue(
        'sync.integration',
        { integrationId, reason: 'backfill' },
        { jobId: `sync:${integrationId}` },
      );
    },
  };
}
