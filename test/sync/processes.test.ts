import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { createTestApp, registerUser, type TestApp, testDatabaseUrl } from '../helpers/app.ts';
import { fakeClock } from '../helpers/clock.ts';
import { connectFitbit } from '../helpers/flow.ts';
import { deleteKeys, fastBullmq, testRedisUrl, uniquePrefix, waitFor } from '../helpers/jobs.ts';
import { byDate, observations, type SyncWorld } from '../helpers/sync-world.ts';

// BullMQ on Redis and PostgreSQL: a worker process SIGKILLed in the middle of a backfill, and
// Redis connections dropped during one. The sync completes; nothing is lost or stored twice.
const NOW = '2026-11-20T15:00:00Z';
const children: ChildProcess[] = [];
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const f of cleanup.splice(0).reverse()) await f();
});

interface World {
  app: TestApp;
  sandbox: Sandbox;
  env: Record<string, string>;
}

async function world(consume: boolean): Promise<World> {
  const clock = fakeClock(NOW);
  const prefix = uniquePrefix();
  const sandbox = await startSandbox({ now: clock.now, initialPeople: 0 });
  cleanup.push(() => sandbox.close());
  const env = {
    ...sandbox.env,
    JWT_SECRET: randomBytes(32).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    REDIS_URL: testRedisUrl ?? '',
    JOBS_QUEUE_PREFIX: prefix,
    RUN_WORKER: consume ? '1' : '0',
  };
  const app = await createTestApp({
    env,
    clock,
    overrides: { jobs: { bullmq: fastBullmq }, sync: { cooldownMs: 200 } },
  });
  cleanup.push(async () => {
    await app.close();
    await deleteKeys(testRedisUrl ?? '', prefix);
  });
  return { app, sandbox, env };
}

function spawnWorker(w: World): { proc: ChildProcess; lines: string[] } {
  const script = fileURLToPath(new URL('./fixtures/sync-worker.ts', import.meta.url));
  const proc = spawn(process.execPath, [script], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      SANDBOX: '0',
      ...w.env,
      RUN_WORKER: '1',
      DATABASE_URL: testDatabaseUrl ?? '',
      TEST_SCHEMA: w.app.schema ?? '',
      FAKE_NOW: NOW,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(proc);
  const lines: string[] = [];
  proc.stdout?.on('data', (d: Buffer) => lines.push(...String(d).split('\n').filter(Boolean)));
  return { proc, lines };
}

async function items(w: World) {
  return w.app.deps.db.selectFrom('sync_run_items').selectAll().execute();
}

/** Some chunks committed, the run not finished. */
async function midway(w: World): Promise<boolean> {
  const rows = await items(w);
  const plan = rows[0]?.plan as { types?: Record<string, { done: string | null }> } | null | undefined;
  const done = Object.values(plan?.types ?? {}).filter((t) => t.done !== null).length;
  return rows.length === 1 && rows[0]?.finished_at === null && done >= 2;
}

async function connect(w: World) {
  const user = await registerUser(w.app.app);
  const person = w.sandbox.people.createPerson({ timeZone: 'America/New_York', days: 30, seed: 51 });
  // A slow vendor, so the backfill is still running when the test strikes.
  w.sandbox.admin.injectFaults({ latencyMs: 300, count: 10_000, pathContains: '/dataTypes/' });
  await connectFitbit(w.app.app, user.auth, person.id);
  return { user, person };
}

async function expectComplete(w: World, c: Awaited<ReturnType<typeof connect>>) {
  await waitFor('sync finished', async () => (await items(w)).every((i) => i.finished_at !== null), 60_000);
  const rows = await items(w);
  expect(rows.map((r) => r.status)).toEqual(['succeeded']);
  const t = { app: w.app.app } as SyncWorld;
  const truth = w.sandbox.groundTruth(c.person.id);
  const steps = byDate(await observations(t, c.user.auth, 'steps'));
  for (const date of truth.dates) expect(steps.get(date)?.value, date).toBe(truth.days[date]?.steps);
  const hr = await observations(t, c.user.auth, 'heart_rate');
  for (const date of truth.dates) {
    const samples = hr.filter((h) => h.date === date).flatMap((h) => h.samples ?? []);
    expect(samples.length, date).toBe(truth.days[date]?.['heart-rate']?.count ?? 0);
  }
  const ids = await w.app.deps.db.selectFrom('fhir_resources').select(['id', 'identifier']).execute();
  expect(new Set(ids.map((r) => r.identifier)).size).toBe(ids.length);
}

describe.skipIf(!testRedisUrl || !testDatabaseUrl)(
  'sync with BullMQ workers',
  () => {
    it('a worker SIGKILLed mid-backfill: another worker resumes the same run and completes it', async () => {
      const w = await world(false);
      const first = spawnWorker(w);
      await waitFor('worker 1 ready', () => first.lines.includes('ready'), 30_000);
      const c = await connect(w);
      await waitFor('backfill midway', () => midway(w), 30_000);
      first.proc.kill('SIGKILL');
      await waitFor('worker 1 gone', () => first.proc.signalCode !== null, 10_000);
      const committed = await items(w);
      w.sandbox.admin.clearFaults();

      const second = spawnWorker(w);
      await waitFor('worker 2 ready', () => second.lines.includes('ready'), 30_000);
      await expectComplete(w, c);
      // The same run, resumed after its last committed chunk: not started over.
      expect((await items(w))[0]?.run_id).toBe(committed[0]?.run_id);
      expect((await items(w))[0]?.requests).toBeLessThan(40);
    });

    it('a sync whose worker dies twice ends failed (JOB_STALLED) at once, not left for the orphan sweep', async () => {
      const w = await world(false);
      const c = await connect(w);
      let requests = 0;
      for (const n of [1, 2]) {
        const worker = spawnWorker(w);
        await waitFor(`worker ${n} ready`, () => worker.lines.includes('ready'), 30_000);
        // Killed in the middle of the run, after it committed something of its own.
        await waitFor(
          `worker ${n} mid-run`,
          async () => (await midway(w)) && ((await items(w))[0]?.requests ?? 0) > requests,
          30_000,
        );
        worker.proc.kill('SIGKILL');
        await waitFor(`worker ${n} gone`, () => worker.proc.signalCode !== null, 10_000);
        requests = (await items(w))[0]?.requests ?? 0;
      }
      expect((await items(w))[0]?.finished_at).toBeNull();

      const third = spawnWorker(w);
      await waitFor('worker 3 ready', () => third.lines.includes('ready'), 30_000);
      await waitFor(
        'run finished',
        async () => (await items(w)).every((i) => i.finished_at !== null),
        30_000,
      );
      const [item] = await items(w);
      expect(item?.status).toBe('failed');
      expect(((item?.errors ?? []) as { code: string }[]).map((e) => e.code)).toEqual(['JOB_STALLED']);
      const status = await w.app.app.inject({ url: '/sync/status', headers: c.user.auth });
      expect(status.json().vendors[0]).toMatchObject({
        last_job_status: 'failed',
        last_job_error_code: 'JOB_STALLED',
      });
      // The integration keeps its schedule: the next sync is due an interval later.
      const st = await w.app.app.inject({ url: '/integrations/fitbit/status', headers: c.user.auth });
      expect(Date.parse(st.json().next_sync_at)).toBe(Date.parse(NOW) + 60 * 60_000);
    });

    it('Redis connections dropped during a sync: the job resumes and completes', async () => {
      const w = await world(true);
      const c = await connect(w);
      await waitFor('backfill midway', () => midway(w), 30_000);
      const admin = new Redis(testRedisUrl ?? '');
      try {
        const list = String(await admin.client('LIST'));
        const ids = list
          .split('\n')
          .filter((l) => / name=(\S+)/.exec(l)?.[1]?.startsWith(w.env.JOBS_QUEUE_PREFIX ?? '-'))
          .map((l) => /(?:^| )id=(\d+)/.exec(l)?.[1])
          .filter((id): id is string => Boolean(id));
        expect(ids.length).toBeGreaterThan(0);
        for (const id of ids) await admin.client('KILL', 'ID', id);
      } finally {
        await admin.quit();
      }
      w.sandbox.admin.clearFaults();
      await expectComplete(w, c);
    });
  },
  180_000,
);
