import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listUserEvents } from '../../src/events/events.repository.ts';
import type { EventType, ObservationsChanged, StoredEvent } from '../../src/events/events.types.ts';
import { observationEvents } from '../../src/events/observation-events.ts';
import { registerUser } from '../helpers/app.ts';
import { dartLocal, singleValue } from '../helpers/app-bodies.ts';
import { patientIdOf } from '../helpers/observations.ts';
import {
  byDate,
  connectPerson,
  immediate,
  observations,
  type SyncWorld,
  settled,
  syncWorld,
} from '../helpers/sync-world.ts';

// The events outbox (docs/events.md): what the sync, the connection flow and erasure write beside
// their own changes.
let t: SyncWorld;
beforeAll(async () => {
  t = await syncWorld({ start: '2026-11-20T15:00:00Z' });
});
afterAll(async () => t?.close());

const eventsOf = (userId: number) => listUserEvents(t.deps.db, userId, { limit: 100_000 });
const ofType = <K extends EventType>(events: StoredEvent[], type: K) => events.filter((e) => e.type === type);
const idsIn = (events: StoredEvent[]) => events.flatMap((e) => (e.payload as ObservationsChanged).ids);

async function observationIds(userId: number): Promise<string[]> {
  const rows = await t.deps.db
    .selectFrom('fhir_resources')
    .select('id')
    .where('user_id', '=', userId)
    .where('resource_type', '=', 'Observation')
    .execute();
  return rows.map((r) => r.id).sort();
}

describe('events outbox', () => {
  it('a backfill writes integration.connected, observations.created for every record and sync.completed', async () => {
    const c = await connectPerson(t, { timeZone: 'Europe/Berlin', seed: 41 });
    await settled(t, c.integrationId);
    const events = await eventsOf(c.user.id);

    const connected = ofType(events, 'integration.connected');
    expect(connected.map((e) => e.payload)).toEqual([
      {
        user_id: c.user.id,
        vendor: 'fitbit',
        integration_id: c.integrationId,
        status: 'connected',
        reason: null,
      },
    ]);

    // Every stored Observation was announced once, by id, with thin payloads: no values.
    const created = ofType(events, 'observations.created');
    expect(created.length).toBeGreaterThan(0);
    expect(idsIn(created).sort()).toEqual(await observationIds(c.user.id));
    for (const e of created) {
      const p = e.payload as ObservationsChanged;
      expect(Object.keys(p).sort()).toEqual(['count', 'end', 'ids', 'source', 'start', 'types', 'user_id']);
      expect(p).toMatchObject({ user_id: c.user.id, source: 'fitbit', count: p.ids.length });
      expect(p.ids.length).toBeLessThanOrEqual(1_000);
      expect(p.types.length).toBeGreaterThan(0);
      expect(p.start! <= p.end!).toBe(true);
      expect(e.id).toMatch(/^evt_[0-9a-f]{32}$/);
    }

    const completed = ofType(events, 'sync.completed');
    expect(completed).toHaveLength(1);
    const item = await t.deps.db
      .selectFrom('sync_run_items')
      .selectAll()
      .where('integration_id', '=', c.integrationId)
      .executeTakeFirstOrThrow();
    expect(completed[0]!.payload).toEqual({
      user_id: c.user.id,
      sync_id: item.run_id,
      vendor: 'fitbit',
      status: 'succeeded',
      created: item.created,
      updated: item.updated,
      unchanged: item.unchanged,
      errors: [],
    });
    expect(item.created).toBe(idsIn(created).length);
    // The run's event comes after its data's.
    expect(completed[0]!.seq).toBeGreaterThan(Math.max(...created.map((e) => e.seq)));
  });

  it('a rewritten day writes observations.updated, as many ids as the run counted, the changed record among them', async () => {
    const c = await connectPerson(t, { timeZone: 'Europe/Berlin', seed: 42 });
    await settled(t, c.integrationId);
    const seen = (await eventsOf(c.user.id)).at(-1)!.seq;
    const date = '2026-11-18';
    await t.sandbox.admin.rewriteDay(c.personId, date, { notify: false });
    const result = await immediate(t, c.user.auth);
    const later = await listUserEvents(t.deps.db, c.user.id, { afterSeq: seen });
    const updated = ofType(later, 'observations.updated');
    expect(idsIn(updated)).toHaveLength(result.integrations[0]!.updated);
    expect(result.integrations[0]!.updated).toBeGreaterThan(0);
    const stepsId = byDate(await observations(t, c.user.auth, 'steps')).get(date)!.id;
    expect(idsIn(updated)).toContain(stepsId);
    // What the vendor no longer has was deleted, and said so (ids no longer stored).
    const stored = new Set(await observationIds(c.user.id));
    for (const id of idsIn(ofType(later, 'observations.deleted'))) expect(stored.has(id)).toBe(false);
    expect(ofType(later, 'sync.completed').map((e) => e.payload)).toMatchObject([
      { sync_id: result.sync_id, updated: result.integrations[0]!.updated },
    ]);
  });

  it('a revoked grant writes integration.needs_reauth and sync.failed', async () => {
    const c = await connectPerson(t, { timeZone: 'UTC', seed: 43 });
    await settled(t, c.integrationId);
    await t.sandbox.admin.revokeGrant(c.personId, { notify: false });
    const result = await immediate(t, c.user.auth);
    const events = await eventsOf(c.user.id);
    expect(ofType(events, 'integration.needs_reauth').map((e) => e.payload)).toEqual([
      {
        user_id: c.user.id,
        vendor: 'fitbit',
        integration_id: c.integrationId,
        status: 'needs_reauth',
        reason: expect.any(String),
      },
    ]);
    expect(ofType(events, 'sync.failed').map((e) => e.payload)).toMatchObject([
      { sync_id: result.sync_id, status: 'failed', errors: ['VENDOR_AUTH_REVOKED'] },
    ]);
  });

  it('disconnecting writes integration.disconnected', async () => {
    const c = await connectPerson(t, { timeZone: 'UTC', seed: 44 });
    await settled(t, c.integrationId);
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/integrations/vendors/${c.integrationId}`,
      headers: c.user.auth,
    });
    expect(del.statusCode).toBeLessThan(300);
    const events = await eventsOf(c.user.id);
    expect(ofType(events, 'integration.disconnected').map((e) => e.payload)).toEqual([
      {
        user_id: c.user.id,
        vendor: 'fitbit',
        integration_id: c.integrationId,
        status: 'inactive',
        reason: 'user',
      },
    ]);
  });

  it('erasure deletes the person’s events and leaves one account.deleted, owned by no account', async () => {
    const c = await connectPerson(t, { timeZone: 'UTC', seed: 45 });
    await settled(t, c.integrationId);
    expect((await eventsOf(c.user.id)).length).toBeGreaterThan(0);
    const res = await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: c.user.auth });
    expect(res.statusCode).toBe(204);
    expect(await eventsOf(c.user.id)).toEqual([]);
    const rows = await t.deps.db
      .selectFrom('events')
      .selectAll()
      .where('type', '=', 'account.deleted')
      .execute();
    const mine = rows.filter((r) => (r.payload as { user_id: number }).user_id === c.user.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ user_id: null, payload: { user_id: c.user.id } });
  });
}, 120_000);

describe('events table', () => {
  it('stores payloads as json text without compression (only stored and read whole; a chunk’s ids barely compress)', async () => {
    const { rows } = await sql<{ type: string; attstorage: string }>`
      select format_type(a.atttypid, a.atttypmod) as type, a.attstorage from pg_attribute a
       where a.attrelid = 'events'::regclass and a.attname = 'payload'`.execute(t.deps.db);
    expect(rows).toEqual([{ type: 'json', attstorage: 'e' }]);
  });
});

describe('FHIR writes', () => {
  it('POST /fhir/Observation writes observations.created with the write’s source; an identical repeat writes nothing', async () => {
    const u = await registerUser(t.app);
    const patientId = await patientIdOf(t, u.id);
    const body = singleValue('heart_rate', 71, patientId, dartLocal('2026-11-19T08:00:00'));
    const post = () =>
      t.app.inject({
        method: 'POST',
        url: '/fhir/Observation',
        headers: { ...u.auth, 'content-type': 'application/fhir+json' },
        payload: body,
      });
    const first = await post();
    expect(first.statusCode, first.body).toBe(201);
    const id = (first.json() as { id: string }).id;
    const events = await eventsOf(u.id);
    expect(events.map((e) => [e.type, e.payload])).toEqual([
      [
        'observations.created',
        {
          user_id: u.id,
          source: 'manual',
          count: 1,
          types: ['heart_rate'],
          start: expect.any(String),
          end: expect.any(String),
          ids: [id],
        },
      ],
    ]);
    expect((await post()).statusCode).toBeLessThan(300);
    expect(await eventsOf(u.id)).toHaveLength(1);
  });
});

describe('observationEvents (pure)', () => {
  it('splits at 1,000 ids, one kind per event, with sorted types and the range of finite times', () => {
    const changed = Array.from({ length: 2_500 }, (_, i) => ({
      id: `o${i}`,
      type: i % 2 ? 'steps' : 'heart_rate',
      effectiveStart: i === 7 ? 'infinity' : new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    }));
    const events = observationEvents(9, 'withings', 'created', changed);
    expect(events.map((e) => e.type)).toEqual(Array(3).fill('observations.created'));
    const payloads = events.map((e) => e.payload as ObservationsChanged);
    expect(payloads.map((p) => p.count)).toEqual([1_000, 1_000, 500]);
    expect(payloads.flatMap((p) => p.ids)).toEqual(changed.map((c) => c.id));
    expect(payloads[0]).toMatchObject({
      user_id: 9,
      source: 'withings',
      types: ['heart_rate', 'steps'],
      start: '2026-01-01T00:00:00.000Z',
      end: new Date(Date.UTC(2026, 0, 1) + 999 * 60_000).toISOString(),
    });
    expect(observationEvents(9, 'withings', 'deleted', [])).toEqual([]);
  });

  it('orders times by instant whatever their offsets, and leaves out what is not a time', () => {
    const changed = [
      { id: 'a', type: 'steps', effectiveStart: '2026-03-01T00:30:00+01:00' }, // 2026-02-28T23:30Z
      { id: 'b', type: 'steps', effectiveStart: '2026-02-28T23:45:00-00:30' }, // 2026-03-01T00:15Z
      { id: 'c', type: 'steps', effectiveStart: '2026-03-01T00:00:00.250Z' },
      { id: 'd', type: 'steps', effectiveStart: '-infinity' },
      { id: 'e', type: 'steps', effectiveStart: 'not a time' },
      { id: 'f', type: null, effectiveStart: null },
    ];
    const [event] = observationEvents(9, 'fitbit', 'updated', changed);
    expect(event?.payload).toMatchObject({
      count: 6,
      types: ['steps'],
      start: '2026-02-28T23:30:00.000Z',
      end: '2026-03-01T00:15:00.000Z',
    });
  });
});
