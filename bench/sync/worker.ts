// A sync worker for bench/sync/backfill.ts: src/worker.ts's path (loadConfig, buildDeps, consume)
// with the bench's fixed clock (FAKE_NOW) and PostgreSQL schema (BENCH_SCHEMA).
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { buildDeps } from '../../src/deps.ts';
import { createLogger } from '../../src/log.ts';

const fixed = Date.parse(process.env.FAKE_NOW ?? '');
const config = loadConfig(process.env);
const database = await openDatabase({
  url: config.databaseUrl,
  schema: process.env.BENCH_SCHEMA,
  poolSize: 8,
});
const deps = await buildDeps(config, {
  log: createLogger(config.logLevel),
  database,
  clock: { now: () => new Date(fixed) },
});
await deps.jobs.start({ consume: true });
process.stdout.write('ready\n');
process.on('SIGTERM', () => void deps.close().then(() => process.exit(0)));
