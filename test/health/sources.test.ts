/**
 * One number per day per type (docs/sources.md): people with Fitbit and Withings data on the same
 * days. The summary counts one source per local day, names it, follows the person's priorities
 * (GET/PUT /health/sources) and the "worn most" default as of the clock; observations and exports
 * still list every record with its source.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapMeasureGroups } from '../../src/vendors/withings/mappers/index.ts';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';
import { fakeClock } from '../helpers/clock.ts';
import { steps, storeMeasurements, weight } from '../helpers/observations.ts';

const clock = fakeClock('2026-04-15T12:00:00Z');
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(async () => t?.close());

type User = Awaited<ReturnType<typeof registerUser>>;
interface Bucket {
  date: string;
  count: number;
  min: number | null;
  max: number | null;
  avg: number | null;
  sum: number | null;
  source: string | null;
  sources?: { source: string | null; days: number }[];
}
interface Effective {
  type: string;
  group: string;
  rule: string;
  sources: string[];
  default: boolean;
  recent_days: Record<string, number>;
}
interface SourcesView {
  groups: Record<string, string[]>;
  types: Record<string, string[]>;
  effective: Effective[];
}

const FITBIT_STEPS = (day: number) => 8000 + day;
const WITHINGS_STEPS = (day: number) => 5000 + day;
const date = (day: number) => `2026-04-${String(day).padStart(2, '0')}`;

/**
 * Fitbit steps on 1-10 April, Withings steps on 8-10 and 12 April (both on 8-10); weight from both
 * on 5 April, from Fitbit alone on 6 April.
 */
async function twoSourcePerson(): Promise<User> {
  const u = await registerUser(t.app);
  await storeMeasurements(t, u.id, [
    ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((d) => steps(date(d), FITBIT_STEPS(d))),
    ...[8, 9, 10, 12].map((d) => steps(date(d), WITHINGS_STEPS(d), { vendor: 'withings' })),
    weight('2026-04-05T07:00:00+00:00', 70.2, { vendor: 'withings' }),
    weight('2026-04-05T08:00:00+00:00', 71.4),
    weight('2026-04-06T08:00:00+00:00', 71.0),
  ]);
  return u;
}

async function summary(u: User, query: string): Promise<Bucket[]> {
  const res = await t.app.inject({ url: `/health/summary?${query}`, headers: u.auth });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { buckets: Bucket[] }).buckets;
}

async function putSources(u: User, body: unknown) {
  return t.app.inject({ method: 'PUT', url: '/health/sources', headers: u.auth, payload: body as object });
}

async function getSources(u: User): Promise<SourcesView> {
  const res = await t.app.inject({ url: '/health/sources', headers: u.auth });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as SourcesView;
}

const byDate = (buckets: Bucket[]) => new Map(buckets.map((b) => [b.date, b]));

describe('the summary counts one source per day', () => {
  it('picks the wearable worn most for steps and the scale for weight, and names it', async () => {
    const u = await twoSourcePerson();
    const days = byDate(await summary(u, 'type=steps&start=2026-04-01&end=2026-04-15'));
    expect([...days.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12].map(date));
    // Both sources on 8-10 April: Fitbit has 10 of the last 30 days, Withings 4. Never their sum.
    for (const d of [8, 9, 10]) {
      expect(days.get(date(d))).toMatchObject({
        count: 1,
        sum: FITBIT_STEPS(d),
        min: FITBIT_STEPS(d),
        max: FITBIT_STEPS(d),
        source: 'fitbit',
      });
      expect(days.get(date(d))).not.toHaveProperty('sources'); // a day has one source
    }
    // A day with one source uses it.
    expect(days.get(date(12))).toMatchObject({ sum: WITHINGS_STEPS(12), source: 'withings' });
    expect(days.get(date(3))).toMatchObject({ sum: FITBIT_STEPS(3), source: 'fitbit' });

    const weights = byDate(await summary(u, 'type=body_weight'));
    expect(weights.get('2026-04-05')).toMatchObject({ count: 1, avg: 70.2, source: 'withings' });
    expect(weights.get('2026-04-06')).toMatchObject({ count: 1, avg: 71.0, source: 'fitbit' });
  });

  it('recognises what the Withings mapper produces as `withings`: its scale wins the day over a Fitbit weight', async () => {
    const u = await registerUser(t.app);
    const fixture = join(
      import.meta.dirname,
      '../vendors/withings/mappers/fixtures/project-getmeas-body-cardio.json',
    );
    const { measurements } = mapMeasureGroups(JSON.parse(readFileSync(fixture, 'utf8')).body, {
      userId: '363',
    });
    await storeMeasurements(t, u.id, [...measurements, weight('2026-10-24T09:00:00+02:00', 81.3)]);
    const [day] = await summary(u, 'type=body_weight&start=2026-10-24&end=2026-10-25');
    expect(day).toMatchObject({ date: '2026-10-24', count: 1, avg: 80.512, source: 'withings' });
  });

  it('builds weeks and months from the chosen days, with the sources of each', async () => {
    const u = await twoSourcePerson();
    const weeks = byDate(await summary(u, 'type=steps&bucket=week&start=2026-04-06&end=2026-04-13'));
    // The ISO week of 6 April: Fitbit on 6-10 (both sources on 8-10), Withings alone on 12.
    const week = weeks.get('2026-04-06');
    const fitbitDays = [6, 7, 8, 9, 10].map(FITBIT_STEPS);
    expect(week).toMatchObject({
      count: 6,
      sum: fitbitDays.reduce((a, b) => a + b, 0) + WITHINGS_STEPS(12),
      min: WITHINGS_STEPS(12),
      max: FITBIT_STEPS(10),
      source: 'fitbit',
      sources: [
        { source: 'fitbit', days: 5 },
        { source: 'withings', days: 1 },
      ],
    });
    const [month] = await summary(u, 'type=steps&bucket=month');
    const daily = await summary(u, 'type=steps');
    expect(month).toMatchObject({
      date: '2026-04-01',
      count: daily.length,
      sum: daily.reduce((a, b) => a + (b.sum ?? 0), 0),
      sources: [
        { source: 'fitbit', days: 10 },
        { source: 'withings', days: 1 },
      ],
    });
  });

  it('chooses the same way when the bounds have a time of day (read from the observations)', async () => {
    const u = await twoSourcePerson();
    const days = await summary(u, 'type=steps&start=2026-04-08T00:00:00Z&end=2026-04-13T00:00:00Z');
    expect(days.map((b) => [b.date, b.sum, b.source])).toEqual([
      [date(8), FITBIT_STEPS(8), 'fitbit'],
      [date(9), FITBIT_STEPS(9), 'fitbit'],
      [date(10), FITBIT_STEPS(10), 'fitbit'],
      [date(12), WITHINGS_STEPS(12), 'withings'],
    ]);
  });

  it('follows the person’s priorities: a type’s list, a group’s list, and back to the defaults', async () => {
    const u = await twoSourcePerson();
    expect((await putSources(u, { types: { steps: ['withings'] } })).statusCode).toBe(200);
    let days = byDate(await summary(u, 'type=steps&start=2026-04-01'));
    for (const d of [8, 9, 10])
      expect(days.get(date(d))).toMatchObject({ sum: WITHINGS_STEPS(d), source: 'withings' });
    // Days with only Fitbit still count Fitbit: a source left out of the list comes after.
    expect(days.get(date(2))).toMatchObject({ sum: FITBIT_STEPS(2), source: 'fitbit' });

    expect((await putSources(u, { groups: { body: ['fitbit'] } })).statusCode).toBe(200);
    const weights = byDate(await summary(u, 'type=body_weight'));
    expect(weights.get('2026-04-05')).toMatchObject({ avg: 71.4, source: 'fitbit' });
    // PUT replaces: the steps list is gone, the default (worn most) is back.
    days = byDate(await summary(u, 'type=steps&start=2026-04-01'));
    expect(days.get(date(9))).toMatchObject({ sum: FITBIT_STEPS(9), source: 'fitbit' });

    // A type's own list wins over its group's.
    await putSources(u, { groups: { activity: ['withings'] }, types: { steps: ['fitbit'] } });
    days = byDate(await summary(u, 'type=steps&start=2026-04-01'));
    expect(days.get(date(9))?.source).toBe('fitbit');

    expect((await putSources(u, {})).statusCode).toBe(200);
    const view = await getSources(u);
    expect(view.groups).toEqual({});
    expect(view.types).toEqual({});
    expect(view.effective.every((e) => e.default)).toBe(true);
  });

  it('reads "worn most" as of the clock: the wearable of the last 30 days decides', async () => {
    const u = await twoSourcePerson();
    // From mid-April on, only the Withings watch: 25 more days.
    await storeMeasurements(
      t,
      u.id,
      Array.from({ length: 25 }, (_, i) => {
        const d = new Date(Date.parse('2026-04-16T00:00:00Z') + i * 86_400_000).toISOString().slice(0, 10);
        return steps(d, 6000, { vendor: 'withings' });
      }),
    );
    const before = byDate(await summary(u, 'type=steps&start=2026-04-08&end=2026-04-11'));
    expect(before.get(date(9))?.source).toBe('fitbit');
    clock.set('2026-05-10T12:00:00Z');
    try {
      const after = byDate(await summary(u, 'type=steps&start=2026-04-08&end=2026-04-11'));
      expect(after.get(date(9))).toMatchObject({ sum: WITHINGS_STEPS(9), source: 'withings' });
      const steps30 = (await getSources(u)).effective.find((e) => e.type === 'steps');
      // 11 April to 10 May: 12 April and the 25 days from 16 April; Fitbit's last day was 10 April.
      expect(steps30?.recent_days).toEqual({ withings: 26 });
      expect(steps30?.sources.slice(0, 2)).toEqual(['withings', 'fitbit']);
    } finally {
      clock.set('2026-04-15T12:00:00Z');
    }
  });

  it('leaves observations and exports listing every record with its source; the summary agrees with the chosen one', async () => {
    const u = await twoSourcePerson();
    const list = await t.app.inject({
      url: '/health/observations?type=steps&start=2026-04-09&end=2026-04-10',
      headers: u.auth,
    });
    const items = (list.json() as { items: { value: number; source: { vendor: string } }[] }).items;
    expect(items.map((i) => [i.source.vendor, i.value]).sort()).toEqual([
      ['fitbit', FITBIT_STEPS(9)],
      ['withings', WITHINGS_STEPS(9)],
    ]);

    const csv = await t.app.inject({ url: '/health/export?format=csv&type=steps', headers: u.auth });
    expect(csv.statusCode).toBe(200);
    const [header, ...lines] = csv.body.trim().split('\r\n');
    const col = (name: string) => header!.split(',').indexOf(name);
    const rows = lines.map((l) => l.split(','));
    // The export's daily totals: one line per source and day (14 records), as synced.
    expect(rows).toHaveLength(14);
    const daily = await summary(u, 'type=steps');
    for (const b of daily) {
      const ofDay = rows.filter((r) => r[col('date')] === b.date);
      const chosen = ofDay.filter((r) => r[col('source_vendor')] === b.source);
      expect(
        chosen.map((r) => Number(r[col('value')])),
        b.date,
      ).toEqual([b.sum]);
    }
    expect(
      rows
        .filter((r) => r[col('date')] === date(9))
        .map((r) => r[col('source_vendor')])
        .sort(),
    ).toEqual(['fitbit', 'withings']);
  });
});

describe('GET/PUT /health/sources', () => {
  it('answers the effective order of every type, default or not', async () => {
    const u = await twoSourcePerson();
    const view = await getSources(u);
    const of = (type: string) => view.effective.find((e) => e.type === type);
    expect(of('body_weight')).toMatchObject({ group: 'body', rule: 'fixed', default: true });
    expect(of('body_weight')?.sources.slice(0, 3)).toEqual(['withings', 'apple_health', 'fitbit']);
    expect(of('steps')).toMatchObject({
      group: 'activity',
      rule: 'most_days',
      default: true,
      recent_days: { fitbit: 10, withings: 4 },
    });
    expect(of('steps')?.sources.slice(0, 2)).toEqual(['fitbit', 'withings']);
    expect(of('heart_rate')).toMatchObject({ group: 'vitals', rule: 'most_days' });

    const put = await putSources(u, {
      groups: { body: ['fitbit', 'withings'] },
      types: { steps: ['withings'] },
    });
    expect(put.statusCode).toBe(200);
    const after = put.json() as SourcesView;
    expect(after.groups).toEqual({ body: ['fitbit', 'withings'] });
    expect(after.types).toEqual({ steps: ['withings'] });
    const weight = after.effective.find((e) => e.type === 'body_weight');
    expect(weight).toMatchObject({ default: false });
    expect(weight?.sources.slice(0, 3)).toEqual(['fitbit', 'withings', 'apple_health']);
    expect(after.effective.find((e) => e.type === 'body_fat')?.default).toBe(false); // by its group
    expect(after.effective.find((e) => e.type === 'distance')?.default).toBe(true);
    expect(await getSources(u)).toEqual(after);
  });

  it('refuses bad bodies with 400 naming the field', async () => {
    const u = await registerUser(t.app);
    for (const [body, field] of [
      [{ types: { nope: ['fitbit'] } }, 'types.nope'],
      [{ groups: { sleepy: ['fitbit'] } }, 'groups.sleepy'],
      [{ types: { steps: ['fitbit', 'garmin'] } }, 'types.steps[1]'],
      [{ types: { steps: ['fitbit', 'fitbit'] } }, 'types.steps[1]'],
      [{ groups: { body: [] } }, 'groups.body'],
      [{ types: { steps: 'fitbit' } }, 'types.steps'],
      [{ types: { steps: [7] } }, 'types.steps[0]'],
      [{ priorities: {} }, 'priorities'],
    ] as const) {
      const res = await putSources(u, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const fields = (res.json() as { errors: { field: string }[] }).errors.map((e) => e.field);
      expect(fields, JSON.stringify(body)).toContain(field);
    }
    expect((await getSources(u)).types).toEqual({});
    const anonymous = await t.app.inject({ method: 'PUT', url: '/health/sources', payload: {} });
    expect(anonymous.statusCode).toBe(401);
    expect((await t.app.inject({ url: '/health/sources' })).statusCode).toBe(401);
  });

  it('is audited, is each person’s own, and goes with the account', async () => {
    const a = await registerUser(t.app);
    const b = await registerUser(t.app);
    await putSources(a, { types: { steps: ['withings'] } });
    await putSources(b, { types: { steps: ['fitbit'] } });
    expect((await getSources(a)).types).toEqual({ steps: ['withings'] });
    expect((await getSources(b)).types).toEqual({ steps: ['fitbit'] });

    await t.deps.audit.flush();
    const audit = (await t.app.inject({ url: '/auth/me/audit', headers: a.auth })).json() as {
      items: { action: string; resource_type: string }[];
    };
    expect(audit.items.map((e) => e.action)).toEqual(
      expect.arrayContaining(['health.sources.update', 'health.sources.read']),
    );

    const erased = await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: a.auth });
    expect(erased.statusCode).toBe(204);
    const left = await t.deps.db
      .selectFrom('source_priorities')
      .select('user_id')
      .where('user_id', 'in', [a.id, b.id])
      .execute();
    expect(left.map((r) => r.user_id)).toEqual([b.id]);
  });
});
