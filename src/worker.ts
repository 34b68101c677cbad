import { buildDeps } from './deps.ts';
import { closeOnSignals, loadConfigOrExit, prepareProcess } from './process.ts';

// A job worker without an HTTP server: `npm run worker`. Needs REDIS_URL (BullMQ); run as
// many as the load needs, they share the queue. SIGTERM/SIGINT: stop taking jobs, let the
// running ones finish, close; a second signal exits at once.
const loaded = loadConfigOrExit();
// NOTE: embedded PGlite belongs to one process (the API server), so a separate worker
// needs the PostgreSQL server; without Redis there is no shared queue to consume.
const missing = [!loaded.redisUrl && 'REDIS_URL', !loaded.databaseUrl && 'DATABASE_URL'].filter(Boolean);
if (missing.length > 0) {
  process.stderr.write(
    `worker: ${missing.join(' and ')} required. Without them, \`npm start\` runs jobs in-process.\n`,
  );
  process.exit(1);
}
const { config, log } = await prepareProcess(loaded);

const deps = await buildDeps(config, { log });
await deps.jobs.start({ consume: true });
log.info({ prefix: config.jobs.queuePrefix, concurrency: config.jobs.concurrency }, 'job worker started');
process.stdout.write('PHR job worker started\n');

closeOnSignals(log, 'finishing running jobs, then exiting', () => deps.close());
