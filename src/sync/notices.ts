/**
 * A vendor's notification turned into work: a targeted sync of exactly the notified vendor user,
 * types and local dates, for each connected integration holding that vendor user id. Unknown users
 * queue nothing. Duplicates coalesce: the job id is (integration, types, dates), deduped while queued.
 *
 *   notices.queue('withings', '363', { types: ['body_weight'], start: '2026-12-01', end: '2026-12-02' }) -> jobs queued
 *
 * Throws JobsUnavailableError when the queue is down (the caller answers so the vendor retries).
 */
import type { Db } from '../db/database.ts';
import * as integrations from '../integrations/integrations.repository.ts';
import type { Enqueue } from '../jobs/registry.ts';
import type { DateRange } from '../vendors/sync.types.ts';
import type { SyncJobs } from './sync.jobs.ts';

export interface Notice extends DateRange {
  types: readonly string[];
}

export type Notices = ReturnType<typeof createNotices>;

export function createNotices(deps: { db: Db; enqueue: Enqueue<SyncJobs> }) {
  return {
    async queue(vendor: string, vendorUserId: string, notice: Notice): Promise<number> {
      const rows = await integrations.findIntegrationsByVendorUser(deps.db, vendor, vendorUserId);
      let enqueued = 0;
      for (const row of rows.filter((r) => r.status === 'connected')) {
        await deps.enqueue(
          'sync.integration',
          {
            integrationId: row.id,
            reason: 'webhook',
            types: notice.types,
            windowStart: notice.start,
            windowEnd: notice.end,
          },
          { jobId: `webhook:${row.id}:${notice.types.join(',')}:${notice.start}:${notice.end}` },
        );
        enqueued += 1;
      }
      return enqueued;
    },
  };
}
