// The app on a random loopback port for a benchmark: logs as in production (level info, or
// BENCH_LOG_LEVEL) written to /dev/null, fresh secrets, the sandbox off,
// and on PostgreSQL (DATABASE_URL) a schema of its own that `close()` drops.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { type AppDeps, buildDeps } from '../../src/deps.ts';
import { createLogger } from '../../src/log.ts';

export interface BenchApp {
  app: FastifyInstance;
  deps: AppDeps;
  address: string;
  close(): Promise<void>;
}

export async function startBenchApp(): Promise<BenchApp> {
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    SANDBOX: '0',
  });
  const schema = config.databaseUrl ? `bench_${Date.now()}` : undefined;
  const database = await openDatabase({ url: config.databaseUrl, schema, poolSize: config.databasePoolSize });
  const deps = await buildDeps(config, {
    log: createLogger(process.env.BENCH_LOG_LEVEL ?? 'info', pino.destination('/dev/null')),
    database,
    passwordCost: 10,
  });
  const app = await buildApp(deps);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    deps,
    address,
    async close() {
      await app.close();
      if (schema) await deps.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await deps.close();
    },
  };
}
