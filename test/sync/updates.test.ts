import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/sync/plan.ts';
import { insertRun } from '../../src/sync/sync.repository.ts';
import {
  byDate,
  connectPerson,
  immediate,
  observations,
  type SyncWorld,
  settled,
  syncWorld,
} from '../helpers/sync-world.ts';

// Data that changes after it was synced: a late device sync rewriting a past day, and today
// turning into a finished day.
let t: SyncWorld;
beforeAll(async () => {
  t = await syncWorld({ start: '2026-11-20T15:00:00Z' });
});
afterAll(async () => t?.close());

async function versionOf(auth: { authorization: string }, id: string): Promise<string> {
  const res = await t.app.inject({ url: `/fhir/R4/Observation/${id}`, headers: auth });
  expect(res.statusCode).toBe(200);
  return (res.json() as { meta: { versionId: string } }).meta.versionId;
}

describe('changes after a sync', () => {
  it('a rewritten past day inside the overlap window is updated in place', async () => {
    const c = await connectPerson(t, { timeZone: 'Europe/Berlin', seed: 31 });
    await settled(t, c.integrationId);
    const date = '2026-11-18';
    const before = byDate(await observations(t, c.user.auth, 'steps')).get(date);
    expect(before).toBeDefined();
    const version = await versionOf(c.user.auth, before!.id);

    const truth = await t.sandbox.admin.rewriteDay(c.personId, date, { notify: false });
    expect(truth.steps).not.toBe(before!.value);
    const result = await immediate(t, c.user.auth);
    expect(result.integrations[0]?.status).toBe('succeeded');
    expect(result.integrations[0]!.updated).toBeGreaterThan(0);
    // The rewrite moved samples and the night: what the vendor dropped is gone, nothing doubled.
    const hours = (await observations(t, c.user.auth, 'heart_rate')).filter((h) => h.date === date);
    expect(hours.flatMap((h) => h.samples ?? []).length).toBe(truth['heart-rate']?.count ?? 0);
    const nights = (await observations(t, c.user.auth, 'sleep')).filter((s) => s.date === date);
    expect(nights.map((s) => s.value)).toEqual(truth.sleep ? [truth.sleep.minutesAsleep] : []);

    const after = byDate(await observations(t, c.user.auth, 'steps')).get(date);
    expect(after?.id).toBe(before!.id);
    expect(after?.value).toBe(truth.steps);
    expect(Number(await versionOf(c.user.auth, before!.id))).toBe(Number(version) + 1);
  });

  it('today is preliminary and becomes final, same id, once the day is over', async () => {
    const c = await connectPerson(t, { timeZone: 'Asia/Kolkata', seed: 32 });
    await settled(t, c.integrationId);
    const today = '2026-11-20'; // 20:30 in Kolkata
    const open = byDate(await observations(t, c.user.auth, 'steps')).get(today);
    expect(open?.status).toBe('preliminary');

    t.clock.set('2026-11-21T03:00:00Z'); // 08:30 the next morning
    try {
      const result = await immediate(t, c.user.auth);
      expect(result.integrations[0]?.window).toEqual({ start: addDays(today, -3), end: '2026-11-21' });
      const closed = byDate(await observations(t, c.user.auth, 'steps')).get(today);
      expect(closed?.id).toBe(open!.id);
      expect(closed?.status).toBe('final');
      expect(closed?.value).toBe(t.sandbox.groundTruth(c.personId).days[today]?.steps);
    } finally {
      t.clock.set('2026-11-20T15:00:00Z');
    }
  });
}, 120_000);

describe('scheduler', () => {
  it('the tick enqueues integrations whose next sync is due, and only those', async () => {
    const c = await connectPerson(t, { timeZone: 'UTC', seed: 33 });
    await settled(t, c.integrationId);
    const runs = () =>
      t.deps.db.selectFrom('sync_runs').select('reason').where('user_id', '=', c.user.id).execute();
    expect((await runs()).map((r) => r.reason)).toEqual(['backfill']);
    const due = () =>
      t.deps.db.selectFrom('integrations').select('id').where('next_sync_at', '<=', t.clock.now()).execute();
    expect((await due()).map((r) => r.id)).not.toContain(c.integrationId);

    t.clock.advance(61 * 60_000); // SYNC_INTERVAL_MINUTES defaults to 60
    try {
      expect(await t.deps.sync.service.enqueueDue()).toBeGreaterThanOrEqual(1);
      await settled(t, c.integrationId);
      expect((await runs()).map((r) => r.reason).sort()).toEqual(['backfill', 'scheduled']);
    } finally {
      t.clock.set('2026-11-20T15:00:00Z');
    }
  });

  it('a run whose job was lost (Redis restarted without persistence) resumes on a later tick', async () => {
    const c = await connectPerson(t, { timeZone: 'UTC', seed: 34 });
    await settled(t, c.integrationId);
    // What a lost job leaves behind: a run item that no worker will ever pick up.
    const runId = randomUUID();
    await insertRun(t.deps.db, { id: runId, userId: c.user.id, reason: 'manual', now: t.clock.now() }, [
      { integrationId: c.integrationId, vendor: 'fitbit', jobId: 'lost-with-redis' },
    ]);
    const status = async () =>
      (await t.app.inject({ url: `/health/sync/${runId}`, headers: c.user.auth })).json().status as string;
    try {
      await t.deps.sync.service.enqueueDue();
      expect(await status()).toBe('queued'); // too recent to call lost
      t.clock.advance(16 * 60_000);
      expect(await t.deps.sync.service.enqueueDue()).toBeGreaterThanOrEqual(1);
      await settled(t, c.integrationId);
      expect(await status()).toBe('succeeded');
    } finally {
      t.clock.set('2026-11-20T15:00:00Z');
    }
  });
}, 120_000);
