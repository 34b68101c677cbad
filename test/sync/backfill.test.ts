import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../helpers/app.ts';
import {
  byDate,
  connectPerson,
  immediate,
  observations,
  type SyncWorld,
  settled,
  syncWorld,
} from '../helpers/sync-world.ts';

// Connect -> backfill: every value and local date equals what the Fitbit app shows (the sandbox's
// ground truth), in a +05:30 zone and across a DST change; a re-sync then changes nothing.
let t: SyncWorld;
beforeAll(async () => {
  // 2026-11-20: the 30 days before include 2026-11-01, when New York leaves daylight time.
  t = await syncWorld({ start: '2026-11-20T17:45:00Z' });
});
afterAll(async () => t?.close());

type Day = ReturnType<typeof byDate>;
const round3 = (n: number) => Math.round(n * 1000) / 1000;

describe.each([
  { zone: 'Asia/Kolkata', offsets: ['+05:30'] },
  { zone: 'America/New_York', offsets: ['-04:00', '-05:00'] },
])(
  'backfill in $zone',
  ({ zone, offsets }) => {
    it('stores every daily value, sample and sleep on the local date the vendor shows', async () => {
      const c = await connectPerson(t, { timeZone: zone, seed: zone.length });
      await settled(t, c.integrationId);
      const truth = t.sandbox.groundTruth(c.personId);
      expect(truth.dates.length).toBe(30);

      const me = await t.app.inject({ url: `/integrations/fitbit/status`, headers: c.user.auth });
      expect(me.json()).toMatchObject({ connected: true, last_sync_status: 'succeeded' });
      const tz = await t.deps.db
        .selectFrom('users')
        .select('time_zone')
        .where('id', '=', c.user.id)
        .executeTakeFirst();
      expect(tz?.time_zone).toBe(zone);

      const get = async (type: string) => byDate(await observations(t, c.user.auth, type));
      const [steps, distance, calories, rhr, spo2, hrv, rr, weight, sleep] = (await Promise.all(
        [
          'steps',
          'distance',
          'calories',
          'resting_heart_rate',
          'spo2',
          'hrv_rmssd',
          'respiratory_rate',
          'body_weight',
          'sleep',
        ].map(get),
      )) as [Day, Day, Day, Day, Day, Day, Day, Day, Day];
      const hr = await observations(t, c.user.auth, 'heart_rate');
      const seenOffsets = new Set<string>();
      let compared = 0;
      for (const date of truth.dates) {
        const day = truth.days[date]!;
        const expectValue = (items: typeof steps, expected: number | undefined, label: string) => {
          if (expected === undefined) expect(items.get(date), `${label} ${date}`).toBeUndefined();
          else expect(items.get(date)?.value, `${label} ${date}`).toBeCloseTo(expected, 2);
          if (expected !== undefined) compared += 1;
        };
        expectValue(steps, day.steps, 'steps');
        expectValue(
          distance,
          day.distance === undefined ? undefined : round3(day.distance / 1000),
          'distance',
        );
        expectValue(calories, day['total-calories'], 'calories');
        expectValue(rhr, day['daily-resting-heart-rate'], 'resting hr');
        expectValue(spo2, day['daily-oxygen-saturation'], 'spo2');
        expectValue(hrv, day['daily-heart-rate-variability'], 'hrv');
        expectValue(rr, day['daily-respiratory-rate'], 'respiratory rate');
        expectValue(weight, day.weight === undefined ? undefined : day.weight / 1000, 'weight');
        expectValue(sleep, day.sleep?.minutesAsleep, 'sleep');
        const item = steps.get(date);
        if (item) {
          expect(item.status).toBe('final');
          seenOffsets.add(item.effective_start.slice(-6));
        }
        const hours = hr.filter((h) => h.date === date);
        const samples = hours.flatMap((h) => h.samples ?? []);
        const want = day['heart-rate'];
        expect(samples.length, `heart rate samples ${date}`).toBe(want?.count ?? 0);
        if (want) {
          expect(Math.min(...samples.map((s) => s.value))).toBe(want.min);
          expect(Math.max(...samples.map((s) => s.value))).toBe(want.max);
        }
      }
      expect(compared).toBeGreaterThan(200);
      expect([...seenOffsets].sort()).toEqual([...offsets].sort());
    });
  },
  120_000,
);

describe('re-sync', () => {
  it('creates nothing when nothing changed, and reports what it read', async () => {
    const c = await connectPerson(t, { timeZone: 'Europe/Berlin', seed: 11 });
    await settled(t, c.integrationId);
    const result = await immediate(t, c.user.auth);
    expect(result.status).toBe('succeeded');
    const [item] = result.integrations;
    expect(item).toMatchObject({ vendor: 'fitbit', status: 'succeeded', created: 0, updated: 0, errors: [] });
    expect(item!.unchanged).toBeGreaterThan(0);
    expect(item!.requests).toBeGreaterThan(0);
    expect(item!.window.end).toBe('2026-11-20');
  });

  it("counts every vendor request once, the prefetched chunks' included", async () => {
    const c = await connectPerson(t, { timeZone: 'America/New_York', seed: 5, days: 90 });
    await settled(t, c.integrationId);
    await immediate(t, c.user.auth);
    const runs = await t.deps.db
      .selectFrom('sync_run_items')
      .select((eb) => eb.fn.sum<string>('requests').as('n'))
      .where('integration_id', '=', c.integrationId)
      .executeTakeFirstOrThrow();
    // Everything the sandbox served this person but the connect flow's identity call.
    const { 'GET /v4/users/me/identity': connect, ...served } =
      t.sandbox.admin.requestLog().byUser[c.personId] ?? {};
    expect(connect).toBe(1);
    expect(Number(runs.n)).toBe(Object.values(served).reduce((a, b) => a + b, 0));
  });
}, 120_000);

describe('pipelining', () => {
  // PostgreSQL only: PGlite has one connection, so the prefetch's token read waits for the
  // transaction this test holds open.
  it.skipIf(!testDatabaseUrl)(
    'fetches and prepares the next chunk while the current one is being written',
    async () => {
      const store = t.deps.fhir.store;
      const { upsertResources, prepareResources } = store;
      let preparedObservations = 0;
      let held = false;
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      store.prepareResources = async (owner, resources) => {
        if (resources.some((r) => r.resourceType === 'Observation')) preparedObservations += 1;
        return prepareResources(owner, resources);
      };
      // The first chunk's Observations are held at the store until the next chunk has been prepared.
      store.upsertResources = async (principal, resources, options) => {
        if (!held && 'rows' in resources && resources.rows[0]?.resource_type === 'Observation') {
          held = true;
          await gate;
        }
        return upsertResources(principal, resources, options);
      };
      const until = async (what: string, ok: () => boolean) => {
        for (const deadline = Date.now() + 20_000; !ok(); await new Promise((r) => setTimeout(r, 20)))
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      };
      try {
        const c = await connectPerson(t, { timeZone: 'UTC', seed: 3 });
        await until('the first write', () => held);
        await until('the next chunk prepared during the first write', () => preparedObservations >= 2);
        release();
        await settled(t, c.integrationId);
        const heartRate = await observations(t, c.user.auth, 'heart_rate');
        expect(heartRate.length).toBeGreaterThan(0);
      } finally {
        release();
        Object.assign(store, { upsertResources, prepareResources });
      }
    },
  );
});

describe('a commit that fails', () => {
  it('aborts the prefetch; the retry resumes the run, loses nothing and counts each request once', async () => {
    const store = t.deps.fhir.store;
    const { upsertResources } = store;
    let failed = false;
    store.upsertResources = async (principal, resources, options) => {
      if (!failed && 'rows' in resources && resources.rows[0]?.resource_type === 'Observation') {
        failed = true;
        throw new Error('the database went away');
      }
      return upsertResources(principal, resources, options);
    };
    try {
      const c = await connectPerson(t, { timeZone: 'UTC', seed: 9 });
      await settled(t, c.integrationId, 90_000);
      expect(failed).toBe(true);
      const truth = t.sandbox.groundTruth(c.personId);
      const heartRate = await observations(t, c.user.auth, 'heart_rate');
      const steps = byDate(await observations(t, c.user.auth, 'steps'));
      for (const date of truth.dates) expect(steps.get(date)?.value, date).toBe(truth.days[date]?.steps);
      const hourDates = new Set(heartRate.map((o) => o.date));
      for (const date of truth.dates) expect(hourDates.has(date), date).toBe(true);
      const runs = await t.deps.db
        .selectFrom('sync_run_items')
        .select((eb) => [eb.fn.sum<string>('requests').as('n'), eb.fn.countAll<string>().as('runs')])
        .where('integration_id', '=', c.integrationId)
        .executeTakeFirstOrThrow();
      expect(Number(runs.runs)).toBe(1); // the same run, resumed
      const { 'GET /v4/users/me/identity': _connect, ...served } =
        t.sandbox.admin.requestLog().byUser[c.personId] ?? {};
      expect(Number(runs.n)).toBe(Object.values(served).reduce((a, b) => a + b, 0));
    } finally {
      Object.assign(store, { upsertResources });
    }
  }, 120_000);
});
