// What the dashboard's sync page reads: a sync with nothing connected is refused in words (never a
// green "succeeded" over nothing), and GET /health/sync lists the person's runs, newest first, with
// what started each one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../helpers/app.ts';
import { connectPerson, type SyncWorld, settled, syncWorld } from '../helpers/sync-world.ts';

let t: SyncWorld;
beforeAll(async () => {
  t = await syncWorld({});
});
afterAll(async () => t?.close());

describe('sync history', () => {
  it('refuses a sync when nothing is connected, and lists no runs', async () => {
    const u = await registerUser(t.app);
    for (const url of ['/health/sync', '/health/sync/immediate']) {
      const res = await t.app.inject({ method: 'POST', url, headers: u.auth });
      expect(res.statusCode, url).toBe(409);
      expect(res.json()).toMatchObject({ code: 'VENDOR_NOT_CONNECTED' });
      expect(res.json().detail).toContain('Nothing is connected');
    }
    const list = await t.app.inject({ url: '/health/sync', headers: u.auth });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ items: [] });
  });

  it('lists the backfill and a manual run, newest first, each with its trigger; only the owner’s', async () => {
    const c = await connectPerson(t, { timeZone: 'Europe/Berlin', seed: 7, days: 5 });
    await settled(t, c.integrationId);
    t.clock.advance(60_000); // a minute later (the runs are ordered by when they were created)
    const manual = await t.app.inject({ method: 'POST', url: '/health/sync', headers: c.user.auth });
    expect(manual.statusCode, manual.body).toBe(202);
    await settled(t, c.integrationId);

    const res = await t.app.inject({ url: '/health/sync?limit=5', headers: c.user.auth });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { sync_id: string; trigger: string; status: string }[];
    expect(items.map((i) => i.trigger)).toEqual(['manual', 'backfill']);
    expect(items[0]?.sync_id).toBe(manual.json().sync_id);
    expect(items.every((i) => i.status === 'succeeded')).toBe(true);
    const one = await t.app.inject({ url: `/health/sync/${items[1]?.sync_id}`, headers: c.user.auth });
    expect(one.json().trigger).toBe('backfill');
    // The finished backfill read every planned day of every planned type.
    const progress = one.json().integrations[0].progress;
    expect(progress.types_total).toBeGreaterThan(0);
    expect(progress.days_total).toBeGreaterThan(0);
    expect(progress).toMatchObject({ types_done: progress.types_total, days_done: progress.days_total });

    const limited = await t.app.inject({ url: '/health/sync?limit=1', headers: c.user.auth });
    expect(limited.json().items).toHaveLength(1);
    const bad = await t.app.inject({ url: '/health/sync?limit=0', headers: c.user.auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('limit');

    const other = await registerUser(t.app);
    expect((await t.app.inject({ url: '/health/sync', headers: other.auth })).json()).toEqual({ items: [] });
  });
});
