// Bench: N sandbox people x 30 days, connected, then a cold backfill of all of them timed.
//   node bench/sync/backfill.ts [--people 100]                        in-process runner, PGlite in memory
//   DATABASE_URL=postgres://... REDIS_URL=redis://... node bench/sync/backfill.ts --workers 2
//                                                                     BullMQ, N `npm run worker`-like processes
// Prints wall time, vendor requests per person (vs the naive one request per type per day) and Observations/s.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { buildDeps } from '../../src/deps.ts';
import { createLogger } from '../../src/log.ts';
import { startSandbox } from '../../src/sandbox/index.ts';

const { values } = parseArgs({
  options: { people: { type: 'string', default: '100' }, workers: { type: 'string', default: '2' } },
});
const PEOPLE = Number(values.people);
const NOW = '2026-11-20T15:00:00Z';
const bullmq = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
const clock = { now: () => new Date(NOW) };
const zones = ['America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Sydney', 'UTC'];

const sandbox = await startSandbox({ now: clock.now, initialPeople: 0, autoConsent: true });
const schema = process.env.DATABASE_URL ? `bench_${randomUUID().slice(0, 8)}` : undefined;
const env = {
  ...sandbox.env,
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  SANDBOX: '0',
  JWT_SECRET: randomBytes(32).toString('base64url'),
  ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  JOBS_QUEUE_PREFIX: `bench-${randomUUID().slice(0, 8)}`,
  JOBS_CONCURRENCY: '8',
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
  ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  ...(bullmq ? { REDIS_URL: process.env.REDIS_URL ?? '', RUN_WORKER: '0' } : {}),
};
const config = loadConfig(env);
const database = await openDatabase({ url: config.databaseUrl, schema, poolSize: 8 });
const deps = await buildDeps(config, { log: createLogger('warn'), database, clock, passwordCost: 10 });
const app = await buildApp(deps);
await deps.jobs.start();
const db = deps.db;

// Connect everyone (their first backfills run now, in-process; with BullMQ they wait for workers).
for (let i = 0; i < PEOPLE; i++) {
  const person = sandbox.people.createPerson({
    timeZone: zones[i % zones.length] ?? 'UTC',
    days: 30,
    seed: 1000 + i,
  });
  const reg = await app.inject({
    method: 'POST',
    url: '/auth/register',
    payload: { email: `b${i}@bench.test`, password: 'correct horse battery' },
  });
  const auth = { authorization: `Bearer ${reg.json().access_token}` };
  const start = await app.inject({
    url: `/integrations/fitbit/authorize?login_hint=${person.id}`,
    headers: auth,
  });
  if (start.statusCode !== 200) throw new Error(`authorize: ${start.statusCode} ${start.body}`);
  const consent = await fetch(start.json().authorization_url, { redirect: 'manual' });
  const back = new URL(consent.headers.get('location') ?? '');
  // The browser binding cookie set by authorize goes back with the callback, as a browser sends it.
  const cookie = String(start.headers['set-cookie'] ?? '').split(';')[0] ?? '';
  const done = await app.inject({ url: `${back.pathname}${back.search}`, headers: { cookie } });
  const result = new URL(String(done.headers.location), 'http://app.invalid');
  if (result.searchParams.get('status') !== 'connected') throw new Error(`connect: ${result.search}`);
}
const children: ChildProcess[] = [];
if (bullmq) {
  for (let i = 0; i < Number(values.workers); i++) {
    const child = spawn(process.execPath, ['bench/sync/worker.ts'], {
      env: {
        PATH: process.env.PATH ?? '',
        ...env,
        RUN_WORKER: '1',
        BENCH_SCHEMA: schema ?? '',
        FAKE_NOW: NOW,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
  }
}
await waitIdle();

// The timed part: forget everything synced, then backfill all N again from scratch.
await sql`delete from fhir_resources where resource_type = 'Observation'`.execute(db);
await sql`delete from sync_cursors`.execute(db);
await sql`delete from sync_runs`.execute(db);
sandbox.admin.resetRequestLog();
// The connect pass spent each person's request budget (burst 30, 4/s): let it refill, as it is when
// a person connects for real.
await new Promise((r) => setTimeout(r, 8_000));
const integrations = await db
  .selectFrom('integrations')
  .select('id')
  .where('status', '=', 'connected')
  .execute();
const started = performance.now();
const cpu0 = process.cpuUsage();
for (const row of integrations) await deps.sync.service.enqueueBackfill(row.id);
await waitIdle();
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpu0);

const items = await db.selectFrom('sync_run_items').select(['status', 'requests', 'created']).execute();
const requests = items.reduce((n, i) => n + i.requests, 0);
const created = items.reduce((n, i) => n + i.created, 0);
const failed = items.filter((i) => i.status !== 'succeeded').length;
const types = deps.vendors.fitbit.dataTypes.length;
const naive = 30 * types;
const perPerson = requests / integrations.length;
console.log(
  `mode: ${bullmq ? `BullMQ, ${values.workers} worker processes, PostgreSQL` : 'in-process runner, PGlite'}`,
);
console.log(`people: ${integrations.length} x 30 days (${types} types); runs not succeeded: ${failed}`);
console.log(
  `wall time: ${seconds.toFixed(1)} s (this process's CPU: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s)`,
);
console.log(
  `vendor requests per person: ${perPerson.toFixed(1)} (naive, one per type per day: ${naive}; ${(naive / perPerson).toFixed(1)}x fewer)`,
);
console.log(`sandbox saw ${sandbox.admin.requestLog().total} requests`);
console.log(`observations created: ${created} (${(created / seconds).toFixed(0)}/s)`);
// No same-run floor: requests per person is a count, the same on any machine; wall time and
// Observations/s include the sandbox generating and serving every person in this very process.
console.log(
  'floor: none (requests per person does not depend on the machine; wall time and Observations/s have no floor to read them by)',
);

for (const c of children) c.kill('SIGTERM');
await deps.close();
await sandbox.close();
if (schema && process.env.DATABASE_URL) {
  const pg = await import('pg');
  const client = new pg.default.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
}
process.exit(0);

async function waitIdle(): Promise<void> {
  for (;;) {
    const open = await db
      .selectFrom('sync_run_items')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('finished_at', 'is', null)
      .executeTakeFirstOrThrow();
    const health = (await deps.jobs.health()).detail ?? {};
    const queued = Number(health.waiting ?? 0) + Number(health.active ?? 0);
    if (Number(open.n) === 0 && queued === 0) {
      const runs = await db.selectFrom('sync_run_items').select('run_id').execute();
      if (runs.length >= PEOPLE) return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
