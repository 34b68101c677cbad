/**
 * How a sync run ends: the run item's status and errors, the integration's last/next sync and the
 * `sync.completed|failed` event (one transaction), and for failures what the job runner should do
 * (DelayError, RetryableError, PermanentError).
 */
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { insertEvents } from '../events/events.repository.ts';
import { integrationEvent } from '../events/integration-events.ts';
import type { LiveEvents } from '../events/stream-hub.ts';
import type { AccessTokens } from '../integrations/access-tokens.ts';
import type { IntegrationRow } from '../integrations/integrations.repository.ts';
import * as integrations from '../integrations/integrations.repository.ts';
import { DelayError, PermanentError, RetryableError } from '../jobs/errors.ts';
import type { Log } from '../log.ts';
import * as notices from '../notices/notices.service.ts';
import type { VendorSession, VendorSync } from '../vendors/sync.types.ts';
import { classify } from './failures.ts';
import { RateBudgetExhausted } from './rate-budget.ts';
import type { RequestMeter } from './request-meter.ts';
import type { SyncJobData } from './sync.jobs.ts';
import * as repo from './sync.repository.ts';
import type { SyncError } from './sync.tables.ts';

export interface SyncSettings {
  backfillDays: number;
  overlapDays: number;
  intervalMinutes: number;
  defaultTimeZone: string;
  /** After a vendor 429: no requests for this user for this long (the job is delayed, not failed). */
  cooldownMs: number;
}

interface OutcomeDeps {
  db: Db;
  clock: Clock;
  log: Log;
  accessTokens: AccessTokens;
  settings: SyncSettings;
  syncOf: (vendor: string) => VendorSync | undefined;
  live?: LiveEvents | undefined;
}

interface RunRef {
  runId: string;
  integration: IntegrationRow;
}

type JobRef = Pick<SyncJobData, 'integrationId' | 'syncRunId' | 'reason'>;

export function createOutcomes(deps: OutcomeDeps) {
  const { db, clock, log } = deps;

  async function finish(ref: RunRef, data: JobRef, status: string, errors: SyncError[]): Promise<void> {
    const now = clock.now();
    // A webhook's targeted sync does not replace the scheduled one.
    const next =
      data.reason === 'webhook'
        ? ref.integration.next_sync_at
        : new Date(now.getTime() + deps.settings.intervalMinutes * 60_000);
    const { integration } = ref;
    await db.transaction().execute(async (trx) => {
      const ended = await repo.finishItem(trx, ref.runId, integration.id, { status, errors, now });
      await integrations.recordSyncOutcome(trx, integration.id, {
        lastSyncAt: now,
        lastSyncStatus: status,
        nextSyncAt: next,
        now,
      });
      // The run's event, with the item it ends (once: an item already finished emits nothing).
      if (!ended) return;
      const payload = {
        user_id: integration.user_id,
        sync_id: ref.runId,
        vendor: integration.vendor,
        status,
        created: ended.created,
        updated: ended.updated,
        unchanged: ended.unchanged,
        errors: errors.map((e) => e.code),
      };
      const type = status === 'failed' ? 'sync.failed' : 'sync.completed';
      await insertEvents(trx, integration.user_id, [{ type, payload }], now);
      await notices.onSyncFinished(trx, integration, status, errors, now);
    });
    deps.live?.wake(integration.user_id);
    log.info(
      { integrationId: ref.integration.id, runId: ref.runId, status, errors: errors.length },
      'sync finished',
    );
  }

  async function setStatus(
    integrationId: string,
    status: 'needs_reauth' | 'provider_unavailable',
    code: string,
  ) {
    const now = clock.now();
    const userId = await db.transaction().execute(async (trx) => {
      const row = await integrations.setIntegrationStatus(trx, integrationId, status, {
        errorCode: code,
        from: ['connected'],
        now,
      });
      if (row && status === 'needs_reauth') {
        await insertEvents(trx, row.user_id, [integrationEvent('integration.needs_reauth', row, code)], now);
        await notices.onNeedsReauth(trx, row, code, now);
      }
      return row?.user_id;
    });
    if (userId !== undefined) deps.live?.wake(userId);
  }

  /** Turns a failure into the job outcome; never returns. */
  async function fail(
    ref: RunRef,
    data: JobRef,
    vendor: VendorSync,
    session: VendorSession & { requests: RequestMeter },
    err: unknown,
  ): Promise<never> {
    const requests = session.requests.unrecorded;
    if (requests > 0) {
      const counts = { requests, fetched: 0, created: 0, updated: 0, unchanged: 0 };
      await repo.addCounts(db, ref.runId, ref.integration.id, counts);
      session.requests.recorded(requests);
    }
    if (session.signal?.aborted) throw err; // the worker is stopping: the job runs again elsewhere
    const failure = classify(err, vendor);
    const id = ref.integration.id;
    const permanent = async () => {
      await finish(ref, data, 'failed', [{ code: failure.code, message: failure.message }]);
      return new PermanentError(failure.code, failure.message, { cause: err });
    };
    switch (failure.kind) {
      case 'delay': {
        // NOTE: budgets and job delays run on real time (src/sync/rate-budget.ts), not the injected clock.
        // Our own budget already knows; a vendor's limit pauses every process, as long as it asked.
        const wait = failure.untilMs !== undefined ? failure.untilMs - Date.now() : deps.settings.cooldownMs;
        const until =
          err instanceof RateBudgetExhausted && failure.untilMs !== undefined
            ? failure.untilMs
            : await vendor.budget.cooldown(session.budgetKey, Math.max(wait, 0));
        log.info({ integrationId: id, until: new Date(until).toISOString() }, 'sync delayed: rate limit');
        throw new DelayError(until, failure.message, { cause: err });
      }
      case 'retry':
      case 'unknown':
        throw new RetryableError(`${failure.code}: ${failure.message}`, { cause: err });
      case 'reauth':
        await deps.accessTokens.markNeedsReauth(id, { reason: 'vendor_401' });
        throw await permanent();
      case 'not-linked':
        // NOTE: the grant is fine but the Google account has no Google Health profile: the user must act (docs/google-health.md §7).
        await setStatus(id, 'needs_reauth', 'ACCOUNT_NOT_LINKED');
        throw await permanent();
      case 'gone':
        await setStatus(id, 'provider_unavailable', 'PROVIDER_UNAVAILABLE');
        throw await permanent();
      default:
        throw await permanent();
    }
  }

  /**
   * The job's onFailure: its last attempt failed, it failed permanently before finishing, or the
   * runner gave up on it (a stalled job: PermanentError JOB_STALLED). The run ends `failed` with
   * the cause's stable code; the next scheduled sync is set as for any finished run.
   */
  async function markFailed(
    data: JobRef,
    err: unknown,
    ctx: { jobId: string; attempt?: number },
  ): Promise<void> {
    const integration = await integrations.getIntegration(db, data.integrationId);
    if (!integration) return;
    const item = data.syncRunId
      ? await repo.findItem(db, data.syncRunId, integration.id)
      : await repo.findOpenItemForJob(db, integration.id, ctx.jobId);
    if (!item || item.finished_at) return;
    const cause = err instanceof RetryableError && err.cause ? err.cause : err;
    const failure =
      cause instanceof PermanentError
        ? { code: cause.code, message: cause.message }
        : classify(cause, deps.syncOf(integration.vendor));
    const attempts =
      err instanceof RetryableError && ctx.attempt ? ` (gave up after ${ctx.attempt} attempts)` : '';
    await finish({ runId: item.run_id, integration }, data, 'failed', [
      { code: failure.code, message: `${failure.message}${attempts}` },
    ]);
  }

  return { finish, fail, markFailed };
}
