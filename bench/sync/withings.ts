// Bench: Withings sync of N sandbox people with D days of data, the sandbox in a child process
// (bench/sync/withings-sandbox.ts) so this process's CPU is the app's alone.
//   node bench/sync/withings.ts [--people 30] [--days 30]        in-process runner, PGlite in memory
//   DATABASE_URL=postgres://... node bench/sync/withings.ts ...   PostgreSQL (its CPU read from /proc)
// 1. A cold backfill of everyone under the one app-wide budget: requests per person (run items and
//    the sandbox's log) against the naive count, wall time against the shortest the budget allows,
//    the busiest 60 s seen, the sandbox's 601 answers.
// 2. An hour later, a few new measures each and one scheduled sync of everyone, as the scheduler
//    enqueues it (all at once, jobs delayed while the budget is short): CPU per person synced (app,
//    sandbox, PostgreSQL apart) and job attempts per sync.
// 3. Another hour later, the same for the first --sequential people (default 10) one after another,
//    the runner called directly: the CPU of one incremental sync with no job delayed (its requests
//    still wait for budget tokens, asleep), the people one core keeps synced hourly at that cost, and
//    the people the budget allows.
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { buildDeps } from '../../src/deps.ts';
import { localDateIn } from '../../src/fhir/zones.ts';
import { createLogger } from '../../src/log.ts';
import { WITHINGS_BUDGET } from '../../src/vendors/withings/budget.ts';
import { WITHINGS_STREAM_TYPES } from '../../src/vendors/withings/scopes.ts';
import { postgresCpuMs, processCpuMs } from '../lib/cpu.ts';
import { type RequestLog, startSandboxProcess } from './withings-sandbox-process.ts';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '30' },
    days: { type: 'string', default: '30' },
    sequential: { type: 'string', default: '10' },
  },
});
const PEOPLE = Number(values.people);
const DAYS = Number(values.days);
const SEQUENTIAL = Math.min(PEOPLE, Number(values.sequential));
const NOW = '2026-12-07T09:00:00Z';
const HOUR_MS = 3600_000;
/** The target of one worker core: this many people synced every hour. */
const TARGET_PEOPLE_PER_CORE = 10_000;
const zones = ['America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Sydney', 'UTC'];
const types = Object.values(WITHINGS_STREAM_TYPES).flat().length;

// Both processes run on real time shifted to NOW; an "hour passes" moves both shifts.
let shiftMs = Date.parse(NOW) - Date.now();
const clock = { now: () => new Date(Date.now() + shiftMs) };
const sandbox = await startSandboxProcess(shiftMs);
const { url: sandboxUrl, env: sandboxEnv } = await sandbox.call<{ url: string; env: Record<string, string> }>(
  'env',
);

/** Every call the app sends to the Withings emulator, timed: the busiest 60 s of a phase. */
const sent: number[] = [];
const countingFetch: typeof fetch = (input, init) => {
  const target = input instanceof Request ? input.url : String(input);
  if (target.startsWith(`${sandboxUrl}/withings/`)) sent.push(performance.now());
  return fetch(input, init);
};

const schema = process.env.DATABASE_URL ? `bench_${randomUUID().slice(0, 8)}` : undefined;
const config = loadConfig({
  ...sandboxEnv,
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  SANDBOX: '0',
  JWT_SECRET: randomBytes(32).toString('base64url'),
  ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  JOBS_CONCURRENCY: '8',
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
  AUTH_REGISTRATIONS_PER_HOUR: '100000',
  SYNC_BACKFILL_DAYS: String(DAYS),
  ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
});
const database = await openDatabase({ url: config.databaseUrl, schema, poolSize: 8 });
const deps = await buildDeps(config, {
  log: createLogger('warn'),
  database,
  clock,
  fetch: countingFetch,
  passwordCost: 10,
});
const app = await buildApp(deps);
const db = deps.db;

// Connect everyone with the job runner stopped: each backfill waits in the queue for the timed part.
const people: Person[] = [];
for (let i = 0; i < PEOPLE; i++) {
  const zone = zones[i % zones.length] ?? 'UTC';
  const { id } = await sandbox.call<{ id: string }>('createPerson', {
    timeZone: zone,
    days: DAYS,
    seed: 2000 + i,
    fitbit: false,
    withings: { scale: true, bpCuff: true, sleepAnalyzer: true, watch: true },
  });
  people.push({ id, zone, integrationId: await connect(i) });
}

// The timed backfill. The connect pass's token exchanges count in the emulator's rolling minute and
// not in the budget (docs/withings.md "The sandbox emulator"): forget them, as a minute's pause would.
await sandbox.call('setRateLimit', 120);
await sandbox.call('resetRequestLog');
sent.length = 0;
const started = performance.now();
const app0 = { cpu: processCpuMs(), pg: postgresCpuMs(), sandbox: await sandbox.cpuMs() };
const jobs0 = await jobOutcomes();
await deps.jobs.start();
await waitIdle('backfill', new Date(0), PEOPLE);
const backfillSeconds = (performance.now() - started) / 1000;
const backfillCpu = await cpuSince(app0);
const backfillLog = await sandbox.call<RequestLog>('requestLog');
const backfill = await itemsOf('backfill', new Date(0));
const backfillAttempts = attempts(jobs0, await jobOutcomes());
const backfillBusiest = busiestMinute();

// An hour later, then another: new data each time, one scheduled sync (see the header).
const hourly = await anHourLater(people, 'scheduler');
const sequential = await anHourLater(people.slice(0, SEQUENTIAL), 'sequential');

// The report.
const naive = types * DAYS;
const perPerson = backfill.requests / PEOPLE;
const floorSeconds =
  (Math.max(0, backfillLog.total - WITHINGS_BUDGET.burst) / WITHINGS_BUDGET.perMinute) * 60;
const pg = process.env.DATABASE_URL;
console.log(
  `mode: in-process runner, ${pg ? 'PostgreSQL' : 'PGlite (in this process)'}; sandbox in a child process`,
);
console.log(`people: ${PEOPLE} x ${DAYS} days, ${types} Withings types (WITHINGS_STREAM_TYPES)`);
console.log('\ncold backfill');
console.log(
  `  runs: ${backfill.runs}, not succeeded: ${backfill.failed}; Observations created: ${backfill.created}`,
);
console.log(
  `  requests per person: run items ${perPerson.toFixed(1)}, sandbox log ${(backfillLog.total / PEOPLE).toFixed(1)} ` +
    `(naive, one per type per day: ${types} x ${DAYS} = ${naive}; ${(naive / perPerson).toFixed(0)}x fewer)`,
);
console.log(
  `  sandbox by action: ${JSON.stringify(backfillLog.byAction)}; by status: ${JSON.stringify(backfillLog.byStatus)}`,
);
console.log(
  `  wall time: ${backfillSeconds.toFixed(1)} s; the budget's shortest for ${backfillLog.total} requests ` +
    `(burst ${WITHINGS_BUDGET.burst}, then ${WITHINGS_BUDGET.perMinute}/min): ${floorSeconds.toFixed(1)} s ` +
    `(${(backfillSeconds / Math.max(floorSeconds, 0.001)).toFixed(2)}x)`,
);
console.log(
  `  achieved: ${((backfillLog.total / backfillSeconds) * 60).toFixed(1)} requests/min; busiest 60 s: ${backfillBusiest} ` +
    `(budget: at most ${WITHINGS_BUDGET.burst + WITHINGS_BUDGET.perMinute}; Withings: 120); 601 answers: ${backfillLog.byStatus['601'] ?? 0}`,
);
console.log(
  `  CPU: app ${s(backfillCpu.app)} s, sandbox ${s(backfillCpu.sandbox)} s${pg ? `, PostgreSQL ${s(backfillCpu.pg)} s` : ''}; ` +
    `job attempts per run: ${(backfillAttempts.total / PEOPLE).toFixed(1)} ${JSON.stringify(backfillAttempts.byOutcome)}`,
);

reportHour('hourly sync of everyone, as the scheduler enqueues it (one hour after the backfill)', hourly);
reportHour(
  `hourly sync of ${SEQUENTIAL} people one after another, the runner called directly (an hour later)`,
  sequential,
);
const appPerPerson = sequential.cpu.app / 1000 / sequential.people;
const perCore = 3600 / appPerPerson;
console.log(
  `\none app core keeps ${Math.floor(perCore).toLocaleString('en')} people synced hourly at the sequential cost ` +
    `(target ${TARGET_PEOPLE_PER_CORE.toLocaleString('en')}: ${(perCore / TARGET_PEOPLE_PER_CORE).toFixed(2)}x); ` +
    `at the scheduler's: ${Math.floor((3600 * 1000 * hourly.people) / hourly.cpu.app).toLocaleString('en')}`,
);
const perHourRequests = hourly.items.requests / hourly.people;
const budgetPeople = (WITHINGS_BUDGET.perMinute * 60) / perHourRequests;
console.log(
  `the budget (${WITHINGS_BUDGET.perMinute}/min for the whole app) syncs at most ${Math.floor(budgetPeople).toLocaleString('en')} ` +
    `people an hour at ${perHourRequests.toFixed(1)} requests each`,
);
console.log(
  '\nfloor: the backfill wall time is read against the shortest the budget allows for the same requests; ' +
    'requests per person are counts (no floor); CPU per person has none',
);

await sandbox.call('close').catch(() => undefined);
await deps.close();
if (schema && pg) {
  const { default: pgLib } = await import('pg');
  const client = new pgLib.Client({ connectionString: pg });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
}
process.exit(0);

interface Person {
  id: string;
  zone: string;
  integrationId: string;
}

function s(msValue: number): string {
  return (msValue / 1000).toFixed(1);
}

function ms(value: number): string {
  return value.toFixed(1);
}

/** Registers user i and connects Withings through the emulator's consent; the integration's id. */
async function connect(i: number): Promise<string> {
  const reg = await app.inject({
    method: 'POST',
    url: '/auth/register',
    payload: { email: `w${i}@bench.test`, password: 'correct horse battery' },
  });
  const auth = { authorization: `Bearer ${reg.json().access_token}` };
  const start = await app.inject({ url: '/integrations/withings/authorize', headers: auth });
  if (start.statusCode !== 200) throw new Error(`authorize: ${start.statusCode} ${start.body}`);
  const consent = await fetch(start.json().authorization_url, { redirect: 'manual' });
  const back = new URL(consent.headers.get('location') ?? '');
  // The browser binding cookie set by authorize goes back with the callback, as a browser sends it.
  const cookie = String(start.headers['set-cookie'] ?? '').split(';')[0] ?? '';
  const done = await app.inject({ url: `${back.pathname}${back.search}`, headers: { cookie } });
  const result = new URL(String(done.headers.location), 'http://app.invalid');
  if (result.searchParams.get('status') !== 'connected') throw new Error(`connect: ${result.search}`);
  const list = await app.inject({ url: '/integrations/vendors', headers: auth });
  return String(list.json().integrations[0].id);
}

/** The most calls sent to the emulator in any 60 s of the phase. */
function busiestMinute(): number {
  let most = 0;
  let from = 0;
  for (let to = 0; to < sent.length; to++) {
    while ((sent[to] ?? 0) - (sent[from] ?? 0) >= 60_000) from++;
    most = Math.max(most, to - from + 1);
  }
  return most;
}

async function cpuSince(before: { cpu: number; pg: number; sandbox: number }) {
  return {
    app: processCpuMs() - before.cpu,
    pg: Math.max(0, postgresCpuMs() - before.pg),
    sandbox: (await sandbox.cpuMs()) - before.sandbox,
  };
}

/**
 * An hour passes for `group`: a weigh-in, a blood-pressure reading and today's steps each arrive
 * (not notified), the clocks move on, then one scheduled sync of each: by the scheduler (enqueueDue,
 * every due integration at once) or one after another through the runner (no job, no budget wait).
 */
async function anHourLater(group: Person[], mode: 'scheduler' | 'sequential') {
  const nowSec = Math.floor(clock.now().getTime() / 1000);
  for (const [i, person] of group.entries()) {
    const weight = { date: nowSec - 10 * 60, measures: [{ type: 1, value: 70_000 + i * 10, unit: -3 }] };
    await sandbox.call('addMeasureGroup', person.id, { ...weight, device: 'scale' }, { notify: false });
    const bp = [
      { type: 9, value: 80, unit: 0 },
      { type: 10, value: 120 + (i % 10), unit: 0 },
      { type: 11, value: 64, unit: 0 },
    ];
    await sandbox.call(
      'addMeasureGroup',
      person.id,
      { date: nowSec - 5 * 60, measures: bp },
      { notify: false },
    );
    const today = localDateIn(person.zone, clock.now().getTime());
    await sandbox.call('setActivityDay', person.id, today, { steps: 4000 + i }, { notify: false });
  }
  // The sequential pass runs its people itself: the scheduler's tick must find nobody due.
  if (mode === 'sequential')
    await db
      .updateTable('integrations')
      .set({ next_sync_at: new Date('2100-01-01T00:00:00Z') })
      .execute();
  shiftMs += HOUR_MS + 5 * 60_000;
  await sandbox.call('advance', HOUR_MS + 5 * 60_000);
  await sandbox.call('resetRequestLog');
  sent.length = 0;
  const since = clock.now();
  const wall0 = performance.now();
  const cpu0 = { cpu: processCpuMs(), pg: postgresCpuMs(), sandbox: await sandbox.cpuMs() };
  const jobs0 = await jobOutcomes();
  let enqueued = group.length;
  const perRun: number[] = [];
  if (mode === 'scheduler') {
    enqueued = await deps.sync.service.enqueueDue();
    await waitIdle('scheduled', since, group.length);
  } else {
    for (const person of group) {
      const data = { integrationId: person.integrationId, reason: 'scheduled' } as const;
      const one = processCpuMs();
      await deps.sync.runner.run(data, {
        jobId: `bench:${randomUUID()}`,
        signal: new AbortController().signal,
      });
      perRun.push(processCpuMs() - one);
    }
  }
  const seconds = (performance.now() - wall0) / 1000;
  const cpu = await cpuSince(cpu0);
  const jobs = mode === 'scheduler' ? attempts(jobs0, await jobOutcomes()) : undefined;
  const log = await sandbox.call<RequestLog>('requestLog');
  return {
    perRun: perRun.sort((a, b) => a - b),
    people: group.length,
    enqueued,
    seconds,
    cpu,
    jobs,
    log,
    items: await itemsOf('scheduled', since),
    busiest: busiestMinute(),
  };
}

function reportHour(title: string, h: Awaited<ReturnType<typeof anHourLater>>): void {
  const pg = process.env.DATABASE_URL;
  console.log(`\n${title}`);
  console.log(
    `  people: ${h.people}, enqueued: ${h.enqueued}; runs: ${h.items.runs}, not succeeded: ${h.items.failed}; ` +
      `vendor records fetched: ${h.items.fetched}; Observations created: ${h.items.created}, updated: ${h.items.updated}`,
  );
  console.log(
    `  requests per person: run items ${(h.items.requests / h.people).toFixed(1)}, sandbox log ${(h.log.total / h.people).toFixed(1)}; ` +
      `by action: ${JSON.stringify(h.log.byAction)}; 601 answers: ${h.log.byStatus['601'] ?? 0}; busiest 60 s: ${h.busiest}`,
  );
  console.log(
    `  CPU per person synced: app ${ms(h.cpu.app / h.people)} ms${pg ? '' : ' (PGlite included)'}, ` +
      `sandbox ${ms(h.cpu.sandbox / h.people)} ms${pg ? `, PostgreSQL ${ms(h.cpu.pg / h.people)} ms` : ''}; ` +
      `wall ${h.seconds.toFixed(1)} s` +
      (h.jobs
        ? `; job attempts per run: ${(h.jobs.total / h.people).toFixed(1)} ${JSON.stringify(h.jobs.byOutcome)}`
        : '') +
      (h.perRun.length
        ? `; runs one by one: median ${ms(h.perRun[Math.floor(h.perRun.length / 2)] ?? 0)} ms, ` +
          `fastest ${ms(h.perRun[0] ?? 0)}, slowest ${ms(h.perRun.at(-1) ?? 0)}`
        : ''),
  );
}

/** `sync.integration` job attempts by outcome so far (the app's jobs_runs_total counter). */
async function jobOutcomes(): Promise<Record<string, number>> {
  const metric = deps.metrics.registry.getSingleMetric('jobs_runs_total');
  const out: Record<string, number> = {};
  for (const v of (await metric?.get())?.values ?? [])
    if (v.labels.job === 'sync.integration') out[String(v.labels.outcome)] = v.value;
  return out;
}

function attempts(before: Record<string, number>, after: Record<string, number>) {
  const byOutcome: Record<string, number> = {};
  for (const [k, v] of Object.entries(after))
    if (v - (before[k] ?? 0) > 0) byOutcome[k] = v - (before[k] ?? 0);
  return { byOutcome, total: Object.values(byOutcome).reduce((n, v) => n + v, 0) };
}

async function itemsOf(reason: string, since: Date) {
  const rows = await db
    .selectFrom('sync_run_items')
    .innerJoin('sync_runs', 'sync_runs.id', 'sync_run_items.run_id')
    .select(['sync_run_items.status', 'requests', 'fetched', 'created', 'updated'])
    .where('sync_runs.reason', '=', reason)
    .where('sync_runs.created_at', '>=', since)
    .execute();
  return {
    runs: rows.length,
    failed: rows.filter((r) => r.status !== 'succeeded').length,
    requests: rows.reduce((n, r) => n + r.requests, 0),
    fetched: rows.reduce((n, r) => n + r.fetched, 0),
    created: rows.reduce((n, r) => n + r.created, 0),
    updated: rows.reduce((n, r) => n + r.updated, 0),
  };
}

/** Until the runner holds no job (queued, delayed or running) and `expected` runs of `reason` since `since` ended. */
async function waitIdle(reason: string, since: Date, expected: number): Promise<void> {
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const d = (await deps.jobs.health()).detail ?? {};
    if (Number(d.waiting ?? 0) + Number(d.delayed ?? 0) + Number(d.active ?? 0) > 0) continue;
    const open = await db
      .selectFrom('sync_run_items')
      .innerJoin('sync_runs', 'sync_runs.id', 'sync_run_items.run_id')
      .select((eb) => [
        eb.fn.countAll<number>().as('all'),
        eb.fn.count<number>('sync_run_items.finished_at').as('finished'),
      ])
      .where('sync_runs.reason', '=', reason)
      .where('sync_runs.created_at', '>=', since)
      .executeTakeFirstOrThrow();
    if (Number(open.all) >= expected && Number(open.finished) === Number(open.all)) return;
  }
}
