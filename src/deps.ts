import { join } from 'node:path';
import { type AuthService, createAuthService } from './auth/auth.service.ts';
import { DEFAULT_SCRYPT_LOG_N } from './auth/passwords.ts';
import { createTokenService, type TokenService } from './auth/tokens.ts';
import { type Clock, systemClock } from './clock.ts';
import type { Config } from './config.ts';
import { type DatabaseHandle, type Db, openDatabase, pingDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { type Authenticator, createAuthenticator } from './http/auth-hook.ts';
import { createInProcessRunner, type JobRunner } from './jobs/runner.ts';
import { createLogger, type Log } from './log.ts';
import { createMetrics, type Metrics } from './ops/metrics.ts';
import type { ReadinessCheck } from './ops/ops.routes.ts';

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
  jobs: JobRunner;
  readiness: ReadinessCheck[];
  /** Closes what buildDeps opened, in order: jobs, then the database. */
  close(): Promise<void>;
}

export interface DepsOverrides {
  clock?: Clock;
  fetch?: typeof fetch;
  log?: Log;
  database?: DatabaseHandle;
  passwordCost?: number;
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
  const auth = createAuthService({
    db,
    clock,
    tokens,
    passwordCost: overrides.passwordCost ?? DEFAULT_SCRYPT_LOG_N,
    refreshTtlSeconds: config.jwt.refreshTtlSeconds,
    loginAttemptsPerMinute: config.authRateLimitPerMinute,
  });
  const jobs = createInProcessRunner({}, log);

  const readiness: ReadinessCheck[] = [
    {
      name: 'database',
      check: async () => {
        await pingDatabase(db);
        return { ok: true, detail: { kind: database.kind } };
      },
    },
    { name: 'jobs', check: () => jobs.health() },
  ];

  return {
    config,
    db,
    dbKind: database.kind,
    clock,
    fetch: overrides.fetch ?? globalThis.fetch,
    log,
    metrics: createMetrics({ defaultMetrics: config.env !== 'test' }),
    tokens,
    auth,
    authenticator: createAuthenticator(tokens, auth),
    jobs,
    readiness,
    async close() {
      await jobs.close();
      await database.close();
    },
  };
}
