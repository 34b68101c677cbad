// REDIS_URL set and Redis stopped: a sync request fails fast with 503 JOBS_UNAVAILABLE and leaves
// no open run behind; once Redis is back requests work again; shutdown does not wait for Redis.
// Uses a Redis server of its own (stopped and restarted here), never the machine's.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedDatabaseUrl } from '../helpers/app.ts';
import { hasRedisServer, type OwnRedis, startRedisServer } from '../helpers/redis-server.ts';
import { type Connected, connectPerson, type SyncWorld, settled, syncWorld } from '../helpers/sync-world.ts';

describe.skipIf(!hasRedisServer)('Redis down', () => {
  let redis: OwnRedis;
  let t: SyncWorld | undefined;
  let c: Connected;

  beforeAll(async () => {
    redis = await startRedisServer();
    // Refused requests count against the per-user limit too: room for the retries below.
    const env = { REDIS_URL: redis.url, JOBS_QUEUE_PREFIX: 'down', SYNC_TRIGGERS_PER_MINUTE: '100' };
    t = await syncWorld({ env });
    c = await connectPerson(t, { timeZone: 'UTC', seed: 71, days: 5 });
    await settled(t, c.integrationId); // the backfill, through BullMQ
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await redis?.close();
  });

  const trigger = (url = '/health/sync') => t!.app.inject({ method: 'POST', url, headers: c.user.auth });

  async function openItems(): Promise<number> {
    const rows = await t!.deps.db
      .selectFrom('sync_run_items')
      .select('run_id')
      .where('integration_id', '=', c.integrationId)
      .where('finished_at', 'is', null)
      .execute();
    return rows.length;
  }

  /** Until the app's own Redis connection has seen the server go (it does within milliseconds). */
  async function appSeesRedisDown(): Promise<void> {
    while (t!.deps.limits.redis?.status === 'ready') await new Promise((r) => setTimeout(r, 20));
  }

  it('a request answers 503 JOBS_UNAVAILABLE within 2.5 s and leaves no open run', async () => {
    await redis.stop();
    await appSeesRedisDown();
    for (const url of ['/health/sync', '/health/sync/immediate', '/vendors/fitbit/sync']) {
      const started = Date.now();
      const res = await trigger(url);
      expect(Date.now() - started, url).toBeLessThan(2500);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ code: 'JOBS_UNAVAILABLE', status: 503 });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      // Each request tried afresh: none joined a run that no job will ever execute.
      expect(await openItems()).toBe(0);
    }
    const failed = await t!.deps.db
      .selectFrom('sync_run_items')
      .innerJoin('sync_runs', 'sync_runs.id', 'sync_run_items.run_id')
      .select(['sync_run_items.status', 'sync_run_items.errors'])
      .where('sync_runs.reason', '=', 'manual')
      .where('sync_run_items.integration_id', '=', c.integrationId)
      .execute();
    expect(failed).toHaveLength(3);
    for (const row of failed) {
      expect(row.status).toBe('failed');
      expect(row.errors).toEqual([{ code: 'JOBS_UNAVAILABLE', message: expect.any(String) }]);
    }
  }, 30_000);

  it('once Redis is back, a request starts a run that completes', async () => {
    await redis.start();
    // The app reconnects on its own (ioredis backoff): the first requests may still meet 503.
    let res = await trigger();
    const deadline = Date.now() + 30_000;
    while (res.statusCode === 503 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      res = await trigger();
    }
    expect(res.statusCode, res.body).toBe(202);
    await settled(t!, c.integrationId);
    const result = await t!.app.inject({ url: `/health/sync/${res.json().sync_id}`, headers: c.user.auth });
    expect(result.json().status).toBe('succeeded');
  }, 60_000);

  it('shutdown (HTTP, jobs, database) with Redis down takes under 10 s', async () => {
    await redis.stop();
    await appSeesRedisDown();
    const started = Date.now();
    const app = t!;
    t = undefined;
    await app.close();
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);
});

describe.skipIf(!hasRedisServer)('server process with Redis down', () => {
  let redis: OwnRedis | undefined;
  let child: ChildProcess | undefined;
  let database: Awaited<ReturnType<typeof isolatedDatabaseUrl>>;
  afterAll(async () => {
    child?.kill('SIGKILL');
    await redis?.close();
    await database?.drop();
  });

  it('stops on SIGTERM within 10 s', async () => {
    redis = await startRedisServer();
    database = await isolatedDatabaseUrl();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      DATA_DIR: await mkdtemp(join(tmpdir(), 'phr-redis-down-')),
      PORT: '0',
      HOST: '127.0.0.1',
      SANDBOX: '0',
      LOG_LEVEL: 'warn',
      REDIS_URL: redis.url,
      ...(database ? { DATABASE_URL: database.url } : {}),
    };
    const proc = spawn(process.execPath, ['src/server.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let out = '';
    proc.stdout?.on('data', (d) => {
      out += String(d);
    });
    proc.stderr?.on('data', (d) => {
      out += String(d);
    });
    const deadline = Date.now() + 60_000;
    while (!out.includes('listening on')) {
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await redis.stop();
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    const started = Date.now();
    proc.kill('SIGTERM');
    const code = await exited;
    expect(Date.now() - started, out).toBeLessThan(10_000);
    expect(code, out).toBe(0);
  }, 90_000);
});
