/**
 * The sync engine's jobs. Payloads carry ids and small scalars only (never tokens or data).
 *
 *   sync.integration  one sync of one integration; group `integration:<id>`: one at a time, in any process
 *   sync.enqueueDue   the scheduler's tick: enqueue every connected integration whose next_sync_at has passed
 */
import type { BackoffOptions } from '../jobs/backoff.ts';
import { defineJobs, handler } from '../jobs/registry.ts';
import type { SyncRunner } from './sync.runner.ts';

/** The payload of `sync.integration`, declared once: the runner and its outcomes read it. */
export type SyncJobData = {
  integrationId: string;
  /** Resume (or start) this run; a new run is opened when absent. */
  syncRunId?: string;
  reason: 'backfill' | 'scheduled' | 'manual' | 'webhook';
  /** Our measurement types; all granted types when absent. */
  types?: readonly string[];
  /** A targeted window of local dates (webhooks), inclusive. */
  windowStart?: string;
  windowEnd?: string;
};

export type SyncJobs = {
  'sync.integration': SyncJobData;
  'sync.enqueueDue': Record<string, never>;
};

export const SYNC_TICK_MS = 60_000;

/** An unfinished run untouched this long has lost its job (the longest retry backoff is 10 min). */
export const ORPHAN_AFTER_MS = 15 * 60_000;

/**
 * Attempts of one sync job. Transient failures (5xx including 503 UNAVAILABLE, timeouts, network)
 * spend them; rate limits (429) do not. After the last one the run is failed with its cause's code
 * (VENDOR_UNAVAILABLE) and the integration keeps its next scheduled sync: an outage ends each run
 * within minutes instead of postponing it forever, and the next tick tries again.
 */
export const SYNC_ATTEMPTS = 5;
/** 5 s, 10 s, 20 s, 40 s between attempts (jittered): a run gives up about 1.5 minutes into an outage. */
export const SYNC_BACKOFF: BackoffOptions = { baseMs: 5_000, maxMs: 10 * 60_000 };

export function syncJobs(deps: {
  runner: SyncRunner;
  enqueueDue: () => Promise<number>;
  /** Tests shorten the wait between attempts. */
  backoff?: BackoffOptions;
}) {
  return defineJobs<SyncJobs>({
    'sync.integration': handler(async (data, ctx) => deps.runner.run(data, ctx), {
      group: (d) => `integration:${d.integrationId}`,
      attempts: SYNC_ATTEMPTS,
      backoff: deps.backoff ?? SYNC_BACKOFF,
      onFailure: (d, err, ctx) => deps.runner.markFailed(d, err, ctx),
    }),
    'sync.enqueueDue': handler(async () => void (await deps.enqueueDue())),
  });
}
