import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';
import { heartRateHour, steps, stepsDays, storeMeasurements, weight } from '../helpers/observations.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

type Item = {
  id: string;
  type: string;
  date: string;
  value: number;
  effective_start: string;
  samples: unknown;
};
const get = async (auth: { authorization: string }, query: string) =>
  t.app.inject({ url: `/health/observations?${query}`, headers: auth });

describe('GET /health/observations', () => {
  it('answers HealthObservationsResponse, newest first, with heart-rate samples', async () => {
    const u = await registerUser(t.app);
    await storeMeasurements(t, u.id, [
      steps('2026-08-29', 8421, { offset: '+05:30' }),
      heartRateHour('2026-08-29T10:00:00+05:30', 70),
      weight('2026-08-28T07:00:00+05:30', 71.5),
    ]);
    const res = await get(u.auth, '');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { items: Item[]; next_cursor: string | null; limit: number };
    expect(body.limit).toBe(50);
    expect(body.next_cursor).toBeNull();
    expect(body.items.map((i) => i.type)).toEqual(['heart_rate', 'steps', 'body_weight']);
    const stepsItem = body.items[1]!;
    expect(stepsItem).toMatchObject({
      type: 'steps',
      value: 8421,
      unit: '/d',
      unit_display: 'steps/day',
      date: '2026-08-29',
      effective_start: '2026-08-29T00:00:00+05:30',
      effective_end: '2026-08-30T00:00:00+05:30',
      source: { vendor: 'fitbit', device: 'Inspire 3' },
      samples: null,
      code: { system: 'http://loinc.org', code: '41950-7' },
    });
    const hr = body.items[0]!;
    expect(Array.isArray(hr.samples)).toBe(true);
    expect((hr.samples as unknown[]).length).toBe(60);
  });

  it('filters by type (repeatable and comma lists), source and sort', async () => {
    const u = await registerUser(t.app);
    await storeMeasurements(t, u.id, [
      ...stepsDays('2026-01-01', 3),
      weight('2026-01-02T07:00:00+00:00', 70),
      heartRateHour('2026-01-02T10:00:00+00:00', 60),
    ]);
    const comma = (await get(u.auth, 'type=steps,body_weight')).json() as { items: Item[] };
    const repeat = (await get(u.auth, 'type=steps&type=body_weight')).json() as { items: Item[] };
    expect(comma.items.map((i) => i.type).sort()).toEqual(['body_weight', 'steps', 'steps', 'steps']);
    expect(repeat.items).toEqual(comma.items);
    const asc = (await get(u.auth, 'type=steps&sort=date')).json() as { items: Item[] };
    expect(asc.items.map((i) => i.date)).toEqual(['2026-01-01', '2026-01-02', '2026-01-03']);
    expect(((await get(u.auth, 'source=fitbit')).json() as { items: Item[] }).items).toHaveLength(5);
    expect(((await get(u.auth, 'source=withings')).json() as { items: Item[] }).items).toHaveLength(0);
  });

  it('pages with an opaque cursor: every item once, in order', async () => {
    const u = await registerUser(t.app);
    await storeMeasurements(t, u.id, stepsDays('2025-01-01', 23));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(u.auth, `type=steps&limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const body = res.json() as { items: Item[]; next_cursor: string | null; limit: number };
      expect(body.limit).toBe(5);
      seen.push(...body.items.map((i) => i.date));
      cursor = body.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen).toHaveLength(23);
    expect([...seen].sort().reverse()).toEqual(seen);
    expect(new Set(seen).size).toBe(23);
  });

  it('reads date-only bounds as local days of the person’s time zone; daily totals by their local date', async () => {
    const u = await registerUser(t.app);
    await t.deps.db
      .updateTable('users')
      .set({ time_zone: 'America/New_York' })
      .where('id', '=', u.id)
      .execute();
    await storeMeasurements(t, u.id, [
      // Recorded while travelling at +09:00: its local date is what counts.
      steps('2026-03-10', 5000, { offset: '+09:00' }),
      steps('2026-03-11', 6000, { offset: '-04:00' }),
      // 2026-03-11 01:30 in New York is 05:30Z; at 03:30Z it is still the 10th there.
      weight('2026-03-11T05:30:00+00:00', 70),
      weight('2026-03-11T03:30:00+00:00', 71),
    ]);
    const res = await get(u.auth, 'start=2026-03-11&end=2026-03-12');
    const items = (res.json() as { items: Item[] }).items;
    expect(items.map((i) => `${i.type}:${i.value}`).sort()).toEqual(['body_weight:70', 'steps:6000']);
    const tenth = (await get(u.auth, 'start=2026-03-10&end=2026-03-11')).json() as { items: Item[] };
    expect(tenth.items.map((i) => `${i.type}:${i.value}`).sort()).toEqual(['body_weight:71', 'steps:5000']);
    // Date-times: inclusive start, exclusive end.
    const exact = (
      await get(u.auth, 'type=body_weight&start=2026-03-11T03:30:00Z&end=2026-03-11T05:30:00Z')
    ).json() as {
      items: Item[];
    };
    expect(exact.items.map((i) => i.value)).toEqual([71]);
    // An unencoded `+` arrives as a space: still read as the offset.
    const plus = await get(u.auth, 'type=body_weight&start=2026-03-11T08:30:00+03:00');
    expect((plus.json() as { items: Item[] }).items.map((i) => i.value)).toEqual([70]);
  });

  it('refuses bad input with 400 naming the field', async () => {
    const u = await registerUser(t.app);
    const cases: [string, string][] = [
      ['type=steps,sleeping', 'type'],
      ['type=', 'type'],
      ['start=2026-02-30', 'start'],
      ['end=2026-13-01', 'end'],
      ['start=2026-02-01T25:00:00Z', 'start'],
      ['start=2026-03-02&end=2026-03-01', 'end'],
      ['start=2026-03-02T10:00:00Z&end=2026-03-02T09:59:59Z', 'end'],
      ['limit=501', 'limit'],
      ['limit=0', 'limit'],
      ['limit=ten', 'limit'],
      ['sort=value', 'sort'],
      ['cursor=not-a-cursor', 'cursor'],
      ['colour=blue', 'colour'],
      ['source=%20', 'source'],
    ];
    for (const [query, field] of cases) {
      const res = await get(u.auth, query);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const fields = (res.json() as { errors: { field: string }[] }).errors.map((e) => e.field);
      expect(
        fields.some((f) => f === field || f.endsWith(`.${field}`)),
        `${query} -> ${fields}`,
      ).toBe(true);
    }
  });

  it('refuses a cursor made for the other sort order', async () => {
    const u = await registerUser(t.app);
    await storeMeasurements(t, u.id, stepsDays('2025-02-01', 3));
    const first = (await get(u.auth, 'limit=1')).json() as { next_cursor: string };
    expect((await get(u.auth, `limit=1&sort=date&cursor=${first.next_cursor}`)).statusCode).toBe(400);
    expect((await get(u.auth, `limit=1&cursor=${first.next_cursor}`)).statusCode).toBe(200);
  });

  it("serves a night's stages on sleep items, twice the same (rendered-items cache)", async () => {
    const u = await registerUser(t.app);
    const stages = [
      { stage: 'light', start: '2026-10-04T23:00:00-04:00', end: '2026-10-05T01:00:00-04:00' },
      { stage: 'deep', start: '2026-10-05T01:00:00-04:00', end: '2026-10-05T02:00:00-04:00' },
      { stage: 'rem', start: '2026-10-05T02:00:00-04:00', end: '2026-10-05T03:00:00-04:00' },
      { stage: 'awake', start: '2026-10-05T03:00:00-04:00', end: '2026-10-05T03:10:00-04:00' },
    ] as const;
    await storeMeasurements(t, u.id, [
      {
        type: 'sleep',
        value: 240,
        unit: 'min',
        components: { light: 120, deep: 60, rem: 60, awake: 10 },
        stages: [...stages],
        start: '2026-10-04T23:00:00-04:00',
        end: '2026-10-05T03:10:00-04:00',
        utcOffset: '-04:00',
        localDate: '2026-10-05',
        source: { vendor: 'fitbit', deviceName: 'Pixel Watch 3' },
        vendorKey: 'sleep|stages',
        daily: false,
      },
      steps('2026-10-05', 1000, { offset: '-04:00' }),
    ]);
    for (let i = 0; i < 2; i++) {
      const sleep = (await get(u.auth, 'type=sleep')).json() as { items: { stages?: unknown }[] };
      expect(sleep.items).toHaveLength(1);
      expect(sleep.items[0]?.stages).toEqual(stages);
    }
    const all = (await get(u.auth, 'type=steps')).json() as { items: object[] };
    expect(all.items[0]).not.toHaveProperty('stages');
  });

  it('needs a bearer token', async () => {
    expect((await t.app.inject({ url: '/health/observations' })).statusCode).toBe(401);
  });
});
