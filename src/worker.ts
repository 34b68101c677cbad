import { ConfigError, loadConfig } from './config.ts';
import { buildDeps } from './deps.ts';
import { createLogger } from './log.ts';
import { withDevSecrets } from './secrets.ts';

// A job worker without an HTTP server: `npm run worker`. Needs REDIS_URL (BullMQ); run as
// many as the load needs, they share the queue. SIGTERM/SIGINT: stop taking jobs, let the
// running ones finish, close; a second signal exits at once.
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  // NOTE: embedded PGlite belongs to one process (the API server), so a separate worker
  // needs the PostgreSQL server; without Redis there is no shared queue to consume.
  const missing = [!config.redisUrl && 'REDIS_URL', !config.databaseUrl && 'DATABASE_URL'].filter(Boolean);
  if (missing.length > 0) {
    process.stderr.write(
      `worker: ${missing.join(' and ')} required. Without them, \`npm start\` runs jobs in-process.\n`,
    );
    process.exit(1);
  }
  if (config.env !== 'production') config = await withDevSecrets(config, (m) => log.warn(m));

  const deps = await buildDeps(config, { log });
  await deps.jobs.start({ consume: true });
  log.info({ prefix: config.jobs.queuePrefix, concurrency: config.jobs.concurrency }, 'job worker started');
  process.stdout.write('PHR job worker started\n');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: finishing running jobs, then exiting`);
    try {
      await deps.close();
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', (s) => void stop(s));
  process.on('SIGINT', (s) => void stop(s));
}

await main();
