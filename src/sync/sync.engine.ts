/**
 * The sync engine, assembled once in src/deps.ts:
 *
 *   const sync = createSyncEngine({ ...deps, enqueue: jobs.enqueue });
 *   jobs.register({ ...sync.jobs });
 *   await jobs.schedule('sync.enqueue-due', SYNC_TICK_MS, 'sync.enqueueDue', {});
 *
 * job -> the vendor's sync (src/vendors/<id>/sync.ts: its client, budget, pure mappers; tokens from
 * access-tokens) -> FHIR store upsert + cursor commit (one transaction) -> outbox.
 */
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { LiveEvents } from '../events/stream-hub.ts';
import type { FhirStore } from '../fhir/store/fhir.service.ts';
import type { WindowLimiter } from '../http/window-limiter.ts';
import type { AccessTokens } from '../integrations/access-tokens.ts';
import type { BackoffOptions } from '../jobs/backoff.ts';
import type { Enqueue } from '../jobs/registry.ts';
import type { Log } from '../log.ts';
import { findVendor, type VendorRegistry } from '../vendors/registry.ts';
import type { VendorSync } from '../vendors/sync.types.ts';
import { createNotices } from './notices.ts';
import { type SyncJobs, syncJobs } from './sync.jobs.ts';
import type { SyncSettings } from './sync.outcome.ts';
import { createSyncRunner } from './sync.runner.ts';
import { createSyncService } from './sync.service.ts';

export { SYNC_TICK_MS, type SyncJobs } from './sync.jobs.ts';

/** Knobs tests and benches turn; production uses the defaults. */
export interface SyncTuning {
  overlapDays?: number;
  cooldownMs?: number;
  immediateTimeoutMs?: number;
  /** Wait between attempts of a sync job (default SYNC_BACKOFF). */
  retryBackoff?: BackoffOptions;
}

export interface SyncEngineDeps {
  config: Pick<Config, 'sync' | 'defaultTimeZone'>;
  db: Db;
  clock: Clock;
  log: Log;
  vendors: VendorRegistry;
  accessTokens: AccessTokens;
  store: FhirStore;
  enqueue: Enqueue<SyncJobs>;
  /** Per-user count of sync requests that start a run (SYNC_TRIGGERS_PER_MINUTE). */
  triggerLimiter: WindowLimiter;
  tuning?: SyncTuning;
  /** The live event stream (docs/events.md §7). */
  live?: LiveEvents | undefined;
}

export type SyncEngine = ReturnType<typeof createSyncEngine>;

export function createSyncEngine(deps: SyncEngineDeps) {
  const { config, tuning = {} } = deps;
  const syncs = new Map<string, VendorSync>();
  for (const adapter of Object.values(deps.vendors)) {
    syncs.set(adapter.id, adapter.createSync());
  }
  const syncOf = (vendor: string) => (findVendor(deps.vendors, vendor) ? syncs.get(vendor) : undefined);
  const settings: SyncSettings = {
    backfillDays: config.sync.backfillDays,
    overlapDays: tuning.overlapDays ?? 3,
    intervalMinutes: config.sync.intervalMinutes,
    defaultTimeZone: config.defaultTimeZone,
    // NOTE: the per-user quota is counted per clock minute (docs/google-health.md §9): after a 429 wait one out.
    cooldownMs: tuning.cooldownMs ?? 60_000,
  };
  const runner = createSyncRunner({ ...deps, syncOf, settings });
  const service = createSyncService({
    db: deps.db,
    clock: deps.clock,
    log: deps.log,
    enqueue: deps.enqueue,
    triggerLimiter: deps.triggerLimiter,
    intervalMinutes: settings.intervalMinutes,
    ...(tuning.immediateTimeoutMs ? { immediateTimeoutMs: tuning.immediateTimeoutMs } : {}),
  });
  const notices = createNotices({ db: deps.db, enqueue: deps.enqueue });
  return {
    service,
    notices,
    runner,
    jobs: syncJobs({
      runner,
      enqueueDue: () => service.enqueueDue(),
      ...(tuning.retryBackoff ? { backoff: tuning.retryBackoff } : {}),
    }),
  };
}
