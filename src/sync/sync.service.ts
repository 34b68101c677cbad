/**
 * Sync requests and results (principal first), and the enqueue side of the engine.
 *
 *   requestSync(principal)            -> { sync_id, status }   (one job per integration, or the open run)
 *   syncNow(principal)                -> SyncResult once every integration finished (or the wait ran out)
 *
 * Bounded work per user: while a full run of one of the user's integrations is queued or running,
 * a request answers with that run (joining costs nothing); only a request that starts a run
 * counts against the per-user limit (RATE_LIMITED, 429). An enqueue that fails (Redis down)
 * marks the new run failed and answers JOBS_UNAVAILABLE (503), so no request joins a dead run.
 *   getResult(principal, syncId)      -> SyncResult (404 for another user's run)
 *   enqueueDue()                      -> how many integrations were enqueued (the scheduler's tick)
 *   enqueueBackfill(integrationId)    -> after a successful OAuth callback
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Principal } from '../auth/auth.service.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError, notFound } from '../errors.ts';
import type { WindowLimiter } from '../http/window-limiter.ts';
import * as integrations from '../integrations/integrations.repository.ts';
import type { Enqueue } from '../jobs/registry.ts';
import type { Log } from '../log.ts';
import { ORPHAN_AFTER_MS, type SyncJobs } from './sync.jobs.ts';
import * as repo from './sync.repository.ts';
import { type SyncResult, toSyncResult } from './sync.result.ts';

export interface SyncServiceDeps {
  db: Db;
  clock: Clock;
  log: Log;
  enqueue: Enqueue<SyncJobs>;
  intervalMinutes: number;
  /** How long POST /health/sync/immediate waits for the jobs (default 25 s). */
  immediateTimeoutMs?: number;
  /** Counts the requests that start a run, per user (SYNC_TRIGGERS_PER_MINUTE). */
  triggerLimiter: WindowLimiter;
}

export interface SyncRequested {
  sync_id: string;
  status: 'queued' | 'running';
}

/** Retry-After of a 503 when the job queue is unreachable. */
const JOBS_RETRY_AFTER_S = 10;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Integrations a sync request covers: connected ones, and broken ones (reported as failed). */
const SYNCABLE = new Set(['connected', 'needs_reauth', 'provider_unavailable']);

/** The dedupe key of a manual run's job. */
const jobIdOf = (runId: string, integrationId: string) => `sync:${runId}:${integrationId}`;

export type SyncService = ReturnType<typeof createSyncService>;

export function createSyncService(deps: SyncServiceDeps) {
  const { db, clock, log } = deps;

  async function getResult(principal: Principal, syncId: string): Promise<SyncResult> {
    const found = UUID.test(syncId) ? await repo.findRunForUser(db, principal.userId, syncId) : undefined;
    if (!found) throw notFound('Sync');
    return toSyncResult(found.run, found.items);
  }

  /** The open run a request joins, with its status. */
  async function openRun(conn: Db, userId: number, integrationIds: string[]) {
    const since = new Date(clock.now().getTime() - ORPHAN_AFTER_MS);
    const runId = await repo.findOpenRun(conn, userId, integrationIds, since);
    const found = runId ? await repo.findRunForUser(conn, userId, runId) : undefined;
    if (!found) return undefined;
    const { status } = toSyncResult(found.run, found.items);
    return { sync_id: found.run.id, status: status === 'running' ? 'running' : 'queued' } as const;
  }

  async function requestSync(principal: Principal): Promise<SyncRequested> {
    const { userId } = principal;
    const rows = await integrations.listIntegrations(db, userId, { activeOnly: true });
    const targets = rows.filter((r) => SYNCABLE.has(r.status));
    // A run over nothing would "succeed" and tell the person all is well.
    if (targets.length === 0) {
      throw new AppError('VENDOR_NOT_CONNECTED', 'Nothing is connected: connect Fitbit or Withings first');
    }
    const ids = targets.map((r) => r.id);
    const open = await openRun(db, userId, ids);
    if (open) return open;
    const runId = randomUUID();
    // Concurrent requests queue on the lock; all but the first find its run and join it.
    const joined = await db.transaction().execute(async (trx) => {
      await repo.lockUserSyncRequests(trx, userId);
      const raced = await openRun(trx, userId, ids);
      if (raced) return raced;
      const waitS = await deps.triggerLimiter.hit(String(userId));
      if (waitS > 0) {
        throw new AppError('RATE_LIMITED', `Too many sync requests: try again in ${waitS} s`, {
          retryAfter: waitS,
        });
      }
      const items = targets.map((r) => ({ integrationId: r.id, vendor: r.vendor }));
      await repo.insertRun(trx, { id: runId, userId, reason: 'manual', now: clock.now() }, items);
      return undefined;
    });
    if (joined) return joined;
    for (const [i, r] of targets.entries()) {
      try {
        await deps.enqueue(
          'sync.integration',
          { integrationId: r.id, syncRunId: runId, reason: 'manual' },
          { jobId: jobIdOf(runId, r.id) },
        );
      } catch (err) {
        await failUnqueued(
          runId,
          targets.slice(i).map((t) => t.id),
        );
        log.warn({ err, runId }, 'sync: enqueue failed; the run is marked failed');
        throw new AppError('JOBS_UNAVAILABLE', 'Background jobs are unavailable: try again shortly', {
          retryAfter: JOBS_RETRY_AFTER_S,
          cause: err,
        });
      }
    }
    return { sync_id: runId, status: 'queued' };
  }

  /** The items whose job never reached the queue end as failed (a job that did arrive finds them done). */
  async function failUnqueued(runId: string, integrationIds: string[]): Promise<void> {
    const errors = [{ code: 'JOBS_UNAVAILABLE', message: 'the job queue could not be reached' }];
    for (const id of integrationIds) {
      await repo.finishItem(db, runId, id, { status: 'failed', errors, now: clock.now() });
    }
  }

  return {
    requestSync,
    getResult,

    async listResults(principal: Principal, limit: number): Promise<SyncResult[]> {
      const runs = await repo.listRunsForUser(db, principal.userId, limit);
      return runs.map(({ run, items }) => toSyncResult(run, items));
    },

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
      // A queued or running full run (a manual request, the backfill) is this sync already.
      const since = new Date(now.getTime() - ORPHAN_AFTER_MS);
      const open = await repo.integrationsWithOpenRun(
        db,
        due.map((r) => r.id),
        since,
      );
      for (const row of due) {
        if (open.has(row.id)) {
          await repo.setNextSyncAt(db, row.id, next);
          continue;
        }
        await deps.enqueue(
          'sync.integration',
          { integrationId: row.id, reason: row.last_sync_at ? 'scheduled' : 'backfill' },
          { jobId: `sync:${row.id}` },
        );
        await repo.setNextSyncAt(db, row.id, next);
      }
      const enqueued = due.length - open.size;
      if (enqueued > 0) log.info({ count: enqueued }, 'sync: due integrations enqueued');
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
      return enqueued + orphans.length;
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
