// Bounded work per user: a sync request while a run of the integration is queued or running
// answers with that run; only requests that start a run count against SYNC_TRIGGERS_PER_MINUTE.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSharedLimits } from '../../src/http/shared-limits.ts';
import { createLogger } from '../../src/log.ts';
import { finishItem, insertRun, setNextSyncAt } from '../../src/sync/sync.repository.ts';
import { deleteKeys, testRedisUrl } from '../helpers/jobs.ts';
import { appClient } from '../helpers/phr-app.ts';
import {
  type Connected,
  connectPerson,
  gatedFetch,
  type SyncWorld,
  settled,
  syncWorld,
} from '../helpers/sync-world.ts';

const vendor = gatedFetch();
let t: SyncWorld;
beforeAll(async () => {
  t = await syncWorld({
    fetch: vendor.fetch,
    env: { SYNC_TRIGGERS_PER_MINUTE: '2' },
    // An immediate request answers within this with the run as it stands.
    tuning: { immediateTimeoutMs: 1000 },
  });
});
afterAll(async () => {
  vendor.release();
  await t?.close();
});

async function connected(seed: number): Promise<Connected> {
  const c = await connectPerson(t, { timeZone: 'Europe/Berlin', seed, days: 10 });
  await settled(t, c.integrationId); // the backfill
  return c;
}

const trigger = (c: Connected, url = '/health/sync') =>
  t.app.inject({ method: 'POST', url, headers: c.user.auth });

async function manualRuns(c: Connected): Promise<string[]> {
  const rows = await t.deps.db
    .selectFrom('sync_runs')
    .select('id')
    .where('user_id', '=', c.user.id)
    .where('reason', '=', 'manual')
    .execute();
  return rows.map((r) => r.id);
}

async function result(c: Connected, syncId: string) {
  const res = await t.app.inject({ url: `/health/sync/${syncId}`, headers: c.user.auth });
  expect(res.statusCode).toBe(200);
  return res.json() as { status: string; integrations: { requests: number }[] };
}

describe('one open run per integration', () => {
  it('30 requests in a row start one run: the same sync_id, and the vendor calls of one run', async () => {
    const c = await connected(61);
    const callsBefore = vendor.calls;
    vendor.hold();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await trigger(c);
      expect(res.statusCode, res.body).toBe(202);
      expect(['queued', 'running']).toContain(res.json().status);
      ids.push(res.json().sync_id);
    }
    vendor.release();
    await settled(t, c.integrationId);
    expect(new Set(ids).size).toBe(1);
    expect(await manualRuns(c)).toEqual([ids[0]]);
    const run = await result(c, ids[0]!);
    expect(run.status).toBe('succeeded');
    expect(run.integrations[0]!.requests).toBeGreaterThan(0);
    expect(vendor.calls - callsBefore).toBe(run.integrations[0]!.requests);
  });

  it('concurrent requests (processes racing) start one run, and none is refused by the limit', async () => {
    const c = await connected(62);
    vendor.hold();
    const answers = await Promise.all(Array.from({ length: 12 }, () => trigger(c)));
    vendor.release();
    expect(answers.map((a) => a.statusCode)).toEqual(answers.map(() => 202));
    const ids = new Set(answers.map((a) => a.json().sync_id as string));
    expect(ids.size).toBe(1);
    await settled(t, c.integrationId);
    expect(await manualRuns(c)).toEqual([...ids]);
  });

  it('POST /health/sync/immediate joins the pending run and answers with it', async () => {
    const c = await connected(63);
    vendor.hold();
    const queued = await trigger(c);
    expect(queued.statusCode).toBe(202);
    const res = await trigger(c, '/health/sync/immediate'); // the run is held: it answers unfinished
    vendor.release();
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ sync_id: queued.json().sync_id, finished_at: null });
    expect(['queued', 'running']).toContain(res.json().status);
    await settled(t, c.integrationId);
    expect(await manualRuns(c)).toEqual([queued.json().sync_id]);
    expect((await result(c, queued.json().sync_id)).status).toBe('succeeded');
  });

  it('the PHR-App trigger (POST /vendors/fitbit/sync) joins the open run, in both orders', async () => {
    const c = await connected(64);
    const app = appClient(t.app, c.user.accessToken);
    vendor.hold();
    const fromApp = await app.post('/vendors/fitbit/sync');
    expect(fromApp.statusCode, fromApp.body).toBe(202);
    const again = await app.post('/vendors/fitbit/sync');
    const fromApi = await trigger(c);
    vendor.release();
    const id = fromApp.json().sync_job_id as string;
    expect(again.statusCode).toBe(202);
    expect(again.json().sync_job_id).toBe(id);
    expect(['queued', 'running']).toContain(again.json().sync_status);
    expect(fromApi.json().sync_id).toBe(id);
    await settled(t, c.integrationId);
    expect(await manualRuns(c)).toEqual([id]);
  });

  it('the scheduler does not add a run while a full one is open', async () => {
    const c = await connected(65);
    vendor.hold();
    const { sync_id } = (await trigger(c)).json();
    await setNextSyncAt(t.deps.db, c.integrationId, new Date(t.clock.now().getTime() - 60_000)); // due
    try {
      await t.deps.sync.service.enqueueDue();
      vendor.release();
      await settled(t, c.integrationId);
      const runs = await t.deps.db
        .selectFrom('sync_runs')
        .select(['id', 'reason'])
        .where('user_id', '=', c.user.id)
        .orderBy('created_at')
        .execute();
      expect(runs).toEqual([
        { id: expect.any(String), reason: 'backfill' },
        { id: sync_id, reason: 'manual' },
      ]);
    } finally {
      vendor.release();
    }
  });

  it('a scheduled job that finds a full run open leaves the work to it', async () => {
    const c = await connected(69);
    // A manual run whose job is still waiting (fresh, so not a lost one).
    const runId = randomUUID();
    const now = t.clock.now();
    await insertRun(t.deps.db, { id: runId, userId: c.user.id, reason: 'manual', now }, [
      { integrationId: c.integrationId, vendor: 'fitbit' },
    ]);
    try {
      const callsBefore = vendor.calls;
      await t.deps.jobs.enqueue('sync.integration', { integrationId: c.integrationId, reason: 'scheduled' });
      await waitUntil(async () => {
        const jobs = (await t.deps.jobs.health()).detail ?? {};
        return Number(jobs.waiting ?? 0) === 0 && Number(jobs.active ?? 0) === 0;
      });
      const reasons = await t.deps.db
        .selectFrom('sync_runs')
        .select('reason')
        .where('user_id', '=', c.user.id)
        .execute();
      expect(reasons.map((r) => r.reason).sort()).toEqual(['backfill', 'manual']);
      expect(vendor.calls).toBe(callsBefore);
    } finally {
      await finishItem(t.deps.db, runId, c.integrationId, { status: 'failed', errors: [], now });
    }
  });
}, 120_000);

async function waitUntil(predicate: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('per-user limit on requests that start a run', () => {
  it('beyond SYNC_TRIGGERS_PER_MINUTE: 429 problem+json with Retry-After, on every trigger route', async () => {
    const c = await connected(66);
    const other = await connected(67);
    for (let i = 0; i < 2; i++) {
      const res = await trigger(c);
      expect(res.statusCode, res.body).toBe(202);
      await settled(t, c.integrationId);
    }
    for (const url of ['/health/sync', '/health/sync/immediate', '/vendors/fitbit/sync']) {
      const refused = await trigger(c, url);
      expect(refused.statusCode, url).toBe(429);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    expect(await manualRuns(c)).toHaveLength(2);
    // Another user's budget is their own.
    expect((await trigger(other)).statusCode).toBe(202);
    await settled(t, other.integrationId);
  });

  it('joining an open run does not count', async () => {
    const c = await connected(68);
    vendor.hold();
    const first = await trigger(c);
    for (let i = 0; i < 5; i++) expect((await trigger(c)).statusCode).toBe(202);
    vendor.release();
    await settled(t, c.integrationId);
    const second = await trigger(c);
    expect(second.statusCode, second.body).toBe(202);
    expect(second.json().sync_id).not.toBe(first.json().sync_id);
    await settled(t, c.integrationId);
  });
}, 120_000);

describe.runIf(testRedisUrl)('with REDIS_URL', () => {
  it('the trigger count is shared by every API process', async () => {
    const prefix = `test-sync-limits-${randomUUID().slice(0, 8)}`;
    const options = {
      redisUrl: testRedisUrl,
      prefix,
      loginAttemptsPerMinute: 20,
      registrationsPerHour: 20,
      syncTriggersPerMinute: 2,
      clock: { now: () => new Date() },
      log: createLogger('silent'),
    };
    const [a, b] = [await createSharedLimits(options), await createSharedLimits(options)];
    try {
      const key = String(Math.floor(Math.random() * 1e9));
      expect(await a.syncTriggerLimiter.hit(key)).toBe(0);
      expect(await b.syncTriggerLimiter.hit(key)).toBe(0);
      expect(await a.syncTriggerLimiter.hit(key)).toBeGreaterThan(0);
      expect(await b.syncTriggerLimiter.hit(key)).toBeGreaterThan(0);
    } finally {
      await a.close();
      await b.close();
      await deleteKeys(testRedisUrl!, prefix);
    }
  });
});
