/**
 * The sync engine's jobs. Payloads carry ids and small scalars only (never tokens or data).
 *
 *   sync.integration  one sync of one integration; group `integration:<id>`: one at a time, in any process
 *   sync.enqueueDue   the scheduler's tick: enqueue every connected integration whose next_sync_at has passed
 */
import { defineJobs, handler } from '../jobs/registry.ts';
import type { SyncRunner } from './sync.runner.ts';

export type SyncJobs = {
  'sync.integration': {
    integrationId: string;
    syncRunId?: string;
    reason: 'backfill' | 'scheduled' | 'manual' | 'webhook';
    /** Our measurement types; all granted types when absent. */
    types?: readonly string[];
    /** A targeted window of local dates (webhooks), inclusive. */
    windowStart?: string;
    windowEnd?: string;
  };
  'sync.enqueueDue': Record<string, never>;
};

export const SYNC_TICK_MS = 60_000;

/** An unfinished run untouched this long has lost its job (the longest retry backoff is 10 min). */
export const ORPHAN_AFTER_MS = 15 * 60_000;

export function syncJobs(deps: { runner: SyncRunner; enqueueDue: () => Promise<number> }) {
  return defineJobs<SyncJobs>({
    'sync.integration': handler(async (data, ctx) => deps.runner.run(data, ctx), {
      group: (d) => `integration:${d.integrationId}`,
      attempts: 5,
      backoff: { baseMs: 5_000, maxMs: 10 * 60_000 },
      onFailure: (d, err, ctx) => deps.runner.markFailed(d, err, ctx),
    }),
    'sync.enqueueDue': handler(async () => void (await deps.enqueueDue())),
  });
}
