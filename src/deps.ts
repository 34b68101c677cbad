import { join } from 'node:path';
import { type AccountService, createAccountService } from './account/account.service.ts';
import { type Audit, createAudit } from './audit/audit.service.ts';
import { type AuthService, createAuthService, SESSION_CACHE_TTL_MS } from './auth/auth.service.ts';
import { DEFAULT_SCRYPT_LOG_N } from './auth/passwords.ts';
import { createSessionEvents } from './auth/session-events.ts';
import { createSessionCache } from './auth/sessions.ts';
import { createTokenService, type TokenService } from './auth/tokens.ts';
import { type Clock, systemClock } from './clock.ts';
import type { Config } from './config.ts';
import { type DatabaseHandle, type Db, openDatabase, pingDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import {
  createDelivery,
  type Delivery,
  type DeliveryDeps,
  DISPATCH_TICK_MS,
  type EventJobs,
} from './events/delivery.ts';
import type { Resolve } from './events/endpoint-url.ts';
import { createEndpointsService, type EndpointsService } from './events/endpoints.service.ts';
import { createEventStreams, type EventStreams } from './events/stream.service.ts';
import { createStreamHub, type LiveEvents, type StreamHub } from './events/stream-hub.ts';
import { createFhirApi, type FhirApi } from './fhir/api/fhir-api.service.ts';
import { createReplication, type Replication, withReplication } from './fhir/replication/replication.ts';
import { createFhirStore, type FhirStore } from './fhir/store/fhir.service.ts';
import { createFhirWrites, type FhirWrites } from './fhir/writes/writes.service.ts';
import { createHealthService, type HealthService } from './health/health.service.ts';
import { createItemRenderer } from './health/rendered-items.ts';
import { createSourcesService, type SourcesService } from './health/sources.service.ts';
import { type Authenticator, createAuthenticator } from './http/auth-hook.ts';
import { createOutboundHttp, type OutboundHttp } from './http/outbound.ts';
import { createSharedLimits, type SharedLimits } from './http/shared-limits.ts';
import { type ImportJobs, importJobs } from './imports/imports.jobs.ts';
import { createImportRunner } from './imports/imports.runner.ts';
import { createImportsService, type ImportsService } from './imports/imports.service.ts';
import { type AccessTokens, createAccessTokens } from './integrations/access-tokens.ts';
import { findIntegrationsByVendorUser } from './integrations/integrations.repository.ts';
import { createIntegrationsService, type IntegrationsService } from './integrations/integrations.service.ts';
import { createOAuthFlowService, type OAuthFlowService } from './integrations/oauth-flow.service.ts';
import type { AppJobs } from './jobs/catalog.ts';
import { type CreateJobsOptions, createJobs } from './jobs/jobs.ts';
import type { Enqueue, JobSystem } from './jobs/registry.ts';
import { createLogger, type Log } from './log.ts';
import { createMobileService, type MobileService } from './mobile/mobile.service.ts';
import { createNoticesService, type NoticesService } from './notices/notices.service.ts';
import { createMetrics, type Metrics, registerItemCacheMetrics } from './ops/metrics.ts';
import type { ReadinessCheck } from './ops/readiness.ts';
import { createPreferencesService, type PreferencesService } from './preferences/preferences.service.ts';
import { createRateBudgets } from './sync/rate-budgets.ts';
import {
  createSyncEngine,
  SYNC_TICK_MS,
  type SyncEngine,
  type SyncJobs,
  type SyncTuning,
} from './sync/sync.engine.ts';
import { createVault, type Vault } from './vault/vault.ts';
import { createWebhookService, type WebhookService } from './vendors/fitbit/webhook.service.ts';
import { createWebhookKeys } from './vendors/fitbit/webhook-keys.ts';
import { createVendorRegistry, type VendorRegistry } from './vendors/registry.ts';
import { createWithingsNotifications, type WithingsNotifications } from './vendors/withings/notifications.ts';

// The one composition root: everything the app needs, built once and passed down.
export interface AppDeps {
  config: Readonly<Config>;
  db: Db;
  dbKind: DatabaseHandle['kind'];
  clock: Clock;
  fetch: typeof fetch;
  log: Log;
  metrics: Metrics;
  tokens: TokenService;
  auth: AuthService;
  authenticator: Authenticator;
  jobs: JobSystem<AppJobs>;
  /** Outbound HTTP to vendors: timeouts, retries, typed errors. */
  http: OutboundHttp;
  vault: Vault;
  vendors: VendorRegistry;
  integrations: IntegrationsService;
  oauthFlow: OAuthFlowService;
  /** Vendor access tokens for the sync engine (refresh, single-flight, needs_reauth). */
  accessTokens: AccessTokens;
  /** The FHIR store, the FHIR API service, and replication when FHIR_SERVER_URL is set. */
  fhir: { store: FhirStore; api: FhirApi; writes: FhirWrites; replication: Replication | undefined };
  /** The live event stream: fan-out across processes, and the open streams (src/events/stream*.ts). */
  streamHub: StreamHub;
  streams: EventStreams;
  /** Audit trail of reads and changes of health data and grants (src/audit). */
  audit: Audit;
  /** The vendor-agnostic health API: observations, summary, export (src/health). */
  health: HealthService;
  /** Source priorities: which source the summary counts per day and type (src/health). */
  sources: SourcesService;
  endpoints: EndpointsService;
  notices: NoticesService;
  /** Uploaded exports imported in the background (src/imports). */
  imports: ImportsService;
  /** Display units and daily goals of the account (src/preferences). */
  preferences: PreferencesService;
  delivery: Delivery;
  /** Erasure (src/account). */
  account: AccountService;
  /** The sync engine: results service, webhook receiver, job handlers (src/sync). */
  sync: SyncEngine;
  /** Google Health's push endpoint (src/vendors/fitbit/webhook.service.ts). */
  googleWebhook: WebhookService;
  /** Withings' notification URL (src/vendors/withings/notifications.ts). */
  withingsNotifications: WithingsNotifications;
  /** PHR-App-only aliases over sync and integrations (src/mobile). */
  mobile: MobileService;
  readiness: ReadinessCheck[];
  /** Where rate limits count: Redis when REDIS_URL is set (shared by processes), else memory. */
  limits: SharedLimits;
  /** Closes what buildDeps opened, in order: jobs, then the database. */
  close(): Promise<void>;
}

export interface DepsOverrides {
  clock?: Clock;
  fetch?: typeof fetch;
  log?: Log;
  database?: DatabaseHandle;
  passwordCost?: number;
  /** Job timings (tests shorten BullMQ lock/stall intervals or fake the in-process clock). */
  jobs?: Pick<CreateJobsOptions, 'timers' | 'bullmq'>;
  /** Sync engine knobs (overlap, rate-limit cooldown, request budget). */
  sync?: SyncTuning;
  /** DNS for webhook endpoint URLs (tests answer names without the network). */
  resolve?: Resolve;
  /** Webhook retry waits and timeout (tests shorten them). */
  delivery?: Pick<DeliveryDeps, 'retryScheduleMs' | 'timeoutMs'>;
}

export async function buildDeps(config: Readonly<Config>, overrides: DepsOverrides = {}): Promise<AppDeps> {
  const log = overrides.log ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? systemClock;
  const database =
    overrides.database ??
    (await openDatabase({
      url: config.databaseUrl,
      dataDir: config.databaseUrl ? undefined : join(config.dataDir, 'pglite'),
      poolSize: config.databasePoolSize,
    }));
  await migrateToLatest(database.db);
  const db = database.db;

  const tokens = createTokenService(config);
  const limits = await createSharedLimits({
    redisUrl: config.redisUrl,
    prefix: config.jobs.queuePrefix,
    loginAttemptsPerMinute: config.authRateLimitPerMinute,
    registrationsPerHour: config.authRegistrationsPerHour,
    syncTriggersPerMinute: config.sync.triggersPerMinute,
    clock,
    log,
  });
  // Which sessions are live, cached briefly per process; a logout or an erasure in one process is
  // announced to the others through Redis (src/auth/session-events.ts).
  const sessions = createSessionCache({ ttlMs: SESSION_CACHE_TTL_MS });
  // Open live event streams of a user whose sessions ended ask whether theirs still holds (set below).
  let recheckStreams = (_userId: number) => {};
  const sessionEvents = await createSessionEvents({
    redis: limits.redis,
    channel: `${config.jobs.queuePrefix}:sessions:ended`,
    onEnded: (userId) => {
      sessions.forgetUser(userId);
      recheckStreams(userId);
    },
    log,
  });
  // Wakes the live event streams of a user in every process after a commit (docs/events.md §8).
  const streamHub = await createStreamHub({
    redis: limits.redis,
    channel: `${config.jobs.queuePrefix}:events:stream`,
    log,
  });
  const auth = createAuthService({
    db,
    clock,
    tokens,
    passwordCost: overrides.passwordCost ?? DEFAULT_SCRYPT_LOG_N,
    refreshTtlSeconds: config.jwt.refreshTtlSeconds,
    loginLimiter: limits.loginLimiter,
    loginBackoff: limits.loginBackoff,
    registerLimiter: limits.registerLimiter,
    sessions,
    announceEnded: (userId) => {
      sessionEvents.announce(userId);
      recheckStreams(userId);
    },
  });
  const metrics = createMetrics({ defaultMetrics: config.env !== 'test' });
  // Rendered /health/observations items, kept across requests (src/health/rendered-items.ts).
  const healthItems = createItemRenderer({ maxBytes: config.healthItemCacheBytes });
  registerItemCacheMetrics(metrics, healthItems);
  const fhirStore = createFhirStore({
    db,
    clock,
    replicate: Boolean(config.fhirServerUrl),
    defaultTimeZone: config.defaultTimeZone,
  });
  const replication = config.fhirServerUrl
    ? createReplication({
        db,
        fetch: overrides.fetch ?? globalThis.fetch,
        clock,
        log,
        metrics,
        serverUrl: config.fhirServerUrl,
      })
    : undefined;
  // Services get `jobs.enqueue` when built; handlers (which use services) are registered after
  // them, once, with every job of AppJobs: `jobs.register({ ...syncJobs(services) })` (docs/jobs.md).
  const baseJobs = createJobs<AppJobs>({ config, log, registry: metrics.registry, ...overrides.jobs });
  const jobs = replication ? withReplication(baseJobs, replication, config.jobs.runWorker) : baseJobs;
  // Each feature sees only its own jobs (TypeScript does not narrow a generic enqueue by itself).
  const enqueueSync = jobs.enqueue as Enqueue<SyncJobs>;
  const enqueueEvents = jobs.enqueue as Enqueue<EventJobs>;
  const http = createOutboundHttp({ fetch: overrides.fetch ?? globalThis.fetch });
  const vault = createVault({ encryptionKeys: config.encryptionKeys, clock });
  const budgets = createRateBudgets({
    redis: limits.redis,
    prefix: `${config.jobs.queuePrefix}:budget`,
    log,
  });
  const vendors = createVendorRegistry({ config, http, now: () => clock.now(), budgets });
  const vendorDeps = { db, clock, log, vault, vendors };
  // After a commit that wrote events: wake the live streams, and the webhook dispatcher at once
  // rather than at its next tick (bench/events: the tick alone puts p99 over a second).
  let kickDelivery = () => {};
  const live: LiveEvents = {
    wake: (userId) => {
      streamHub.wake(userId);
      kickDelivery();
    },
    transient: (userId, type, data) => streamHub.transient(userId, type, data),
  };
  const integrations = createIntegrationsService({ ...vendorDeps, live });
  const accessTokens = createAccessTokens(vendorDeps);
  const sync = createSyncEngine({
    config,
    db,
    clock,
    log,
    vendors,
    accessTokens,
    store: fhirStore,
    enqueue: enqueueSync,
    triggerLimiter: limits.syncTriggerLimiter,
    live,
    ...(overrides.sync ? { tuning: overrides.sync } : {}),
  });
  const googleWebhook = createWebhookService({
    log,
    notices: sync.notices,
    secret: config.fitbit.webhookSecret,
    keys: createWebhookKeys({
      url: config.fitbit.webhookKeysetUrl,
      fetch: overrides.fetch ?? globalThis.fetch,
      log,
    }),
  });
  const withingsNotifications = createWithingsNotifications({
    log,
    notices: sync.notices,
    secret: config.withings.webhookSecret,
    unlinked: async (vendorUserId) => {
      for (const row of await findIntegrationsByVendorUser(db, 'withings', vendorUserId)) {
        await accessTokens.markNeedsReauth(row.id, { reason: 'vendor_unlinked' });
      }
    },
  });
  const delivery = createDelivery({
    db,
    clock,
    log,
    vault,
    enqueue: enqueueEvents,
    allowPrivateUrls: config.webhooksAllowPrivateUrls,
    resolve: overrides.resolve,
    ...overrides.delivery,
  });
  await delivery.configureDeployment(config.eventsWebhook);
  // A queue that is down only delays delivery to the next tick.
  kickDelivery = () => void delivery.kick().catch(() => {});
  const importRunner = createImportRunner({
    db,
    clock,
    log,
    store: fhirStore,
    uploadDir: join(config.dataDir, 'imports'),
    live,
  });
  const imports = createImportsService({
    db,
    clock,
    log,
    enqueue: jobs.enqueue as Enqueue<ImportJobs>,
    runner: importRunner,
    uploadDir: join(config.dataDir, 'imports'),
    maxBytes: config.importMaxBytes,
  });
  jobs.register({ ...sync.jobs, ...delivery.jobs, ...importJobs(importRunner) });
  await jobs.schedule('sync.enqueue-due', SYNC_TICK_MS, 'sync.enqueueDue', {});
  await jobs.schedule('events.dispatch', DISPATCH_TICK_MS, 'events.dispatch', {});
  const audit = createAudit({ db, clock, log });
  const account = createAccountService({
    db,
    clock,
    log,
    audit,
    revokeGrants: (userId) => integrations.revokeAllForUser(userId),
    eraseResources: (principal, options) => fhirStore.eraseUser(principal, options),
    replicating: Boolean(config.fhirServerUrl),
    rememberErasure: (trx, userId) => auth.rememberErasure(trx, userId),
    afterErase: (userId) => {
      auth.endSessions(userId);
      replication?.kick();
    },
  });

  const streams = createEventStreams({ db, clock, hub: streamHub, log, ...config.eventsStream });
  recheckStreams = (userId) => streams.recheckUser(userId);

  const readiness: ReadinessCheck[] = [
    {
      name: 'database',
      check: async () => {
        await pingDatabase(db);
        return { ok: true, detail: { kind: database.kind } };
      },
    },
    { name: 'jobs', check: () => jobs.health() },
    ...redisCheck(limits),
    ...(replication ? [replication.readiness] : []),
  ];

  return {
    config,
    db,
    dbKind: database.kind,
    clock,
    fetch: overrides.fetch ?? globalThis.fetch,
    log,
    metrics,
    tokens,
    auth,
    authenticator: createAuthenticator(tokens, auth),
    jobs,
    http,
    vault,
    vendors,
    integrations,
    oauthFlow: createOAuthFlowService({
      ...vendorDeps,
      // The callback is a public route: the hook has no principal, so the grant is audited here.
      onConnected: async ({ integrationId, userId }) => {
        live.wake(userId); // its integration.connected event has committed
        audit.record({
          user_id: userId,
          actor_user_id: userId,
          action: 'integration.callback',
          resource_type: 'Integration',
          resource_ids: [integrationId],
        });
        await sync.service.enqueueBackfill(integrationId);
      },
    }),
    accessTokens,
    fhir: {
      store: fhirStore,
      api: createFhirApi(fhirStore, clock),
      writes: createFhirWrites({ db, store: fhirStore, clock, live }),
      replication,
    },
    audit,
    health: createHealthService({
      db,
      clock,
      defaultTimeZone: config.defaultTimeZone,
      items: healthItems,
    }),
    sources: createSourcesService({ db, clock, defaultTimeZone: config.defaultTimeZone }),
    delivery,
    streamHub,
    streams,
    endpoints: createEndpointsService({
      db,
      clock,
      vault,
      allowPrivateUrls: config.webhooksAllowPrivateUrls,
      ...(overrides.resolve ? { resolve: overrides.resolve } : {}),
    }),
    notices: createNoticesService({ db, clock }),
    imports,
    preferences: createPreferencesService({ db, clock }),
    account,
    sync,
    googleWebhook,
    withingsNotifications,
    mobile: createMobileService({ db, vendors, sync: sync.service }),
    readiness,
    limits,
    async close() {
      await jobs.close();
      await delivery.close();
      await audit.close();
      streams.closeAll();
      await streamHub.close();
      await sessionEvents.close();
      await limits.close();
      await database.close();
    },
  };
}

/** With REDIS_URL: the shared Redis answers (rate limits and, in BullMQ mode, the queue use it). */
function redisCheck(limits: SharedLimits): ReadinessCheck[] {
  const redis = limits.redis;
  if (!redis) return [];
  return [
    {
      name: 'redis',
      check: async () => ({ ok: (await redis.ping()) === 'PONG' }),
    },
  ];
}
