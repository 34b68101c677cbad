/**
 * The sync engine, assembled once in src/deps.ts:
 *
 *   const sync = createSyncEngine({ ...deps, enqueue: jobs.enqueue });
 *   jobs.register({ ...sync.jobs });
 *   await jobs.schedule('sync.enqueue-due', SYNC_TICK_MS, 'sync.enqueueDue', {});
 *
 * job -> Google Health client (tokens from access-tokens, outbound wrapper, request budget) ->
 * pure mappers -> FHIR store upsert + cursor commit (one transaction) -> outbox.
 */
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { FhirStore } from '../fhir/store/fhir.service.ts';
import type { OutboundHttp } from '../http/outbound.ts';
import type { WindowLimiter } from '../http/window-limiter.ts';
import type { AccessTokens } from '../integrations/access-tokens.ts';
import type { BackoffOptions } from '../jobs/backoff.ts';
import type { Enqueue } from '../jobs/registry.ts';
import type { Log } from '../log.ts';
import { createGoogleHealthClient } from '../vendors/fitbit/client.ts';
import { createRateBudget, type RateBudgetOptions } from '../vendors/fitbit/rate-budget.ts';
import { createWebhookKeys } from '../vendors/fitbit/webhook-keys.ts';
import type { VendorRegistry } from '../vendors/registry.ts';
import { type SyncJobs, syncJobs } from './sync.jobs.ts';
import type { SyncSettings } from './sync.outcome.ts';
import { createSyncRunner } from './sync.runner.ts';
import { createSyncService } from './sync.service.ts';
import { createWebhookService } from './webhook.service.ts';

export { SYNC_TICK_MS, type SyncJobs } from './sync.jobs.ts';

/** Knobs tests and benches turn; production uses the defaults. */
export interface SyncTuning {
  overlapDays?: number;
  cooldownMs?: number;
  immediateTimeoutMs?: number;
  budget?: RateBudgetOptions;
  /** Wait between attempts of a sync job (default SYNC_BACKOFF). */
  retryBackoff?: BackoffOptions;
}

export interface SyncEngineDeps {
  config: Pick<Config, 'sync' | 'fitbit' | 'defaultTimeZone'>;
  db: Db;
  clock: Clock;
  log: Log;
  http: OutboundHttp;
  /** For the webhook signing keyset (a public file, not a vendor API call). */
  fetch?: typeof fetch;
  vendors: VendorRegistry;
  accessTokens: AccessTokens;
  store: FhirStore;
  enqueue: Enqueue<SyncJobs>;
  /** Per-user count of sync requests that start a run (SYNC_TRIGGERS_PER_MINUTE). */
  triggerLimiter: WindowLimiter;
  tuning?: SyncTuning;
}

export type SyncEngine = ReturnType<typeof createSyncEngine>;

export function createSyncEngine(deps: SyncEngineDeps) {
  const { config, tuning = {} } = deps;
  const budget = createRateBudget(tuning.budget);
  const settings: SyncSettings = {
    backfillDays: config.sync.backfillDays,
    overlapDays: tuning.overlapDays ?? 3,
    intervalMinutes: config.sync.intervalMinutes,
    defaultTimeZone: config.defaultTimeZone,
    // NOTE: the per-user quota is counted per clock minute (docs/google-health.md §9): after a 429 wait one out.
    cooldownMs: tuning.cooldownMs ?? 60_000,
  };
  const client = createGoogleHealthClient({ http: deps.http, apiUrl: config.fitbit.apiUrl, budget });
  const runner = createSyncRunner({ ...deps, client, budget, settings });
  const service = createSyncService({
    db: deps.db,
    clock: deps.clock,
    log: deps.log,
    enqueue: deps.enqueue,
    triggerLimiter: deps.triggerLimiter,
    intervalMinutes: settings.intervalMinutes,
    ...(tuning.immediateTimeoutMs ? { immediateTimeoutMs: tuning.immediateTimeoutMs } : {}),
  });
  const webhooks = createWebhookService({
    db: deps.db,
    log: deps.log,
    enqueue: deps.enqueue,
    secret: config.fitbit.webhookSecret,
    keys: createWebhookKeys({
      url: config.fitbit.webhookKeysetUrl,
      fetch: deps.fetch ?? globalThis.fetch,
      log: deps.log,
    }),
  });
  return {
    service,
    webhooks,
    runner,
    jobs: syncJobs({
      runner,
      enqueueDue: () => service.enqueueDue(),
      ...(tuning.retryBackoff ? { backoff: tuning.retryBackoff } : {}),
    }),
  };
}
