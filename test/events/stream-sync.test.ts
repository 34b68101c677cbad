import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncProgress } from '../../src/sync/sync-progress.ts';
import { registerUser } from '../helpers/app.ts';
import { connectFitbit } from '../helpers/flow.ts';
import { openSse, type SseClient } from '../helpers/sse.ts';
import { type SyncWorld, settled, syncWorld } from '../helpers/sync-world.ts';

// sync.progress on the live event stream (docs/events.md §7): a backfill reports its progress,
// unstored, between its stored events.
describe('sync.progress on GET /events/stream', () => {
  let t: SyncWorld;
  let base: string;
  let stream: SseClient | undefined;
  beforeAll(async () => {
    t = await syncWorld({ start: '2026-11-20T15:00:00Z', env: { EVENTS_STREAM_POLL_MS: '300000' } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    stream?.close();
    await t?.close();
  });

  it('a backfill sends sync.progress messages without an id, then its stored sync.completed', async () => {
    const user = await registerUser(t.app);
    stream = await openSse(`${base}/events/stream`, user.auth);
    expect(stream.status).toBe(200);
    await stream.waitFor((m) => m.comment === 'connected');
    const person = t.sandbox.people.createPerson({ days: 30, timeZone: 'Europe/Berlin', seed: 7 });
    await connectFitbit(t.app, user.auth, person.id);
    const list = await t.app.inject({ url: '/integrations/vendors', headers: user.auth });
    const integrationId = list.json().integrations[0].id as string;
    await settled(t, integrationId);

    const done = await stream.waitFor((m) => m.event === 'sync.completed');
    const completed = JSON.parse(done.data ?? '');
    const progress = stream.messages.filter((m) => m.event === 'sync.progress');
    expect(progress.length).toBeGreaterThan(0);
    for (const m of progress) {
      expect(m.id).toBeUndefined();
      const body = JSON.parse(m.data ?? '');
      expect(body.type).toBe('sync.progress');
      expect(body.data).toEqual({
        sync_id: completed.data.sync_id,
        vendor: 'fitbit',
        types_done: expect.any(Number),
        types_total: expect.any(Number),
        days_done: expect.any(Number),
        days_total: expect.any(Number),
      });
      expect(body.data.types_total).toBeGreaterThan(0);
      expect(body.data.days_done).toBeGreaterThan(0);
      expect(body.data.days_done).toBeLessThanOrEqual(body.data.days_total);
      expect(body.data.types_done).toBeLessThanOrEqual(body.data.types_total);
    }
    // The stored events came too, each with its id; the progress came before the run's end.
    expect(stream.events().some((m) => m.event === 'observations.created')).toBe(true);
    expect(stream.events()[0]?.event).toBe('integration.connected');
    expect(stream.messages.indexOf(progress[0]!)).toBeLessThan(stream.messages.indexOf(done));
  }, 120_000);
});

describe('syncProgress', () => {
  it('counts finished types and days read against the plan’s totals', () => {
    expect(
      syncProgress('run-1', 'withings', {
        steps: { start: '2026-01-01', end: '2026-01-10', done: '2026-01-10' },
        weight: { start: '2026-01-01', end: '2026-01-10', done: '2026-01-04' },
        sleep: { start: '2026-01-01', end: '2026-01-10', done: null },
        empty: { start: '2026-01-02', end: '2026-01-01', done: null },
      }),
    ).toEqual({
      sync_id: 'run-1',
      vendor: 'withings',
      types_done: 2,
      types_total: 4,
      days_done: 14,
      days_total: 30,
    });
  });
});
