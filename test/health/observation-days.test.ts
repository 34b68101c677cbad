/**
 * The per-day rollup (observation_days, per source, kept by triggers on fhir_resources) always equals the
 * aggregate of the rows themselves, through every kind of write: inserts, changed values, a
 * measurement moving to another local day, deletes, erasure; and other people's days are untouched.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as migration0007 from '../../src/db/migrations/0007_observation_days.ts';
import * as migration0011 from '../../src/db/migrations/0011_sample_stats.ts';
import * as migration0015 from '../../src/db/migrations/0015_observation_sources.ts';
import type { ObservationDaysTable } from '../../src/fhir/store/fhir.tables.ts';
import { parseRange } from '../../src/health/health.query-parser.ts';
import { summarize } from '../../src/health/health.service.ts';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';
import { heartRateHour, steps, storeMeasurements, weight } from '../helpers/observations.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

type Day = Omit<ObservationDaysTable, 'user_id'>;

async function rollup(userId: number): Promise<Day[]> {
  const { rows } = await sql<Day>`
    select type, local_date::text as local_date, source, n_rows, n_values, min, max, sum from observation_days
    where user_id = ${userId} order by type, local_date, source`.execute(t.deps.db);
  return rows;
}

/** What the rollup must hold: the same aggregate computed from fhir_resources now. */
async function fromRows(userId: number): Promise<Day[]> {
  const { rows } = await sql<Day>`
    select type, local_date::text as local_date, coalesce(source_vendor, '') as source, count(*)::int as n_rows,
      sum(coalesce(sample_count, (value is not null)::int))::int as n_values,
      min(case when sample_count is null then value else sample_min end) as min,
      max(case when sample_count is null then value else sample_max end) as max,
      sum(case when sample_count is null then value else sample_sum end) as sum
    from fhir_resources
    where user_id = ${userId} and resource_type = 'Observation' and type is not null and local_date is not null
      and effective_start > '-infinity' and effective_start < 'infinity'
    group by type, local_date, coalesce(source_vendor, '') order by type, local_date, source`.execute(
    t.deps.db,
  );
  return rows;
}

async function expectConsistent(userId: number): Promise<Day[]> {
  const days = await rollup(userId);
  const expected = await fromRows(userId);
  expect(days.length).toBe(expected.length);
  days.forEach((d, i) => {
    const e = expected[i]!;
    expect({ ...d, sum: null }).toEqual({ ...e, sum: null });
    // Summation order may differ between the statement and the re-aggregation.
    if (e.sum === null) expect(d.sum).toBeNull();
    else expect(d.sum).toBeCloseTo(e.sum, 9);
  });
  return days;
}

describe('observation_days, the per-day rollup', () => {
  it('follows inserts, changed values, a day change, deletes and erasure; other people untouched', async () => {
    const a = await registerUser(t.app);
    const b = await registerUser(t.app);
    const hours = Array.from({ length: 30 }, (_, h) =>
      heartRateHour(
        new Date(Date.parse('2026-08-29T00:00:00Z') + h * 3_600_000)
          .toISOString()
          .replace('Z', '+00:00')
          .replace('.000', ''),
        60 + h,
      ),
    );
    await storeMeasurements(t, a.id, [
      ...hours,
      steps('2026-08-29', 8000),
      steps('2026-08-30', 9000),
      weight('2026-08-29T07:00:00+02:00', 71.2),
    ]);
    await storeMeasurements(t, b.id, [steps('2026-08-29', 1234)]);
    const bBefore = await expectConsistent(b.id);

    let days = await expectConsistent(a.id);
    expect(days.map((d) => [d.type, d.local_date, d.n_rows])).toEqual([
      ['body_weight', '2026-08-29', 1],
      ['heart_rate', '2026-08-29', 24],
      ['heart_rate', '2026-08-30', 6],
      ['steps', '2026-08-29', 1],
      ['steps', '2026-08-30', 1],
    ]);

    // More rows into days that already have a rollup (added to it, not re-read), some at once.
    const later = (h: number) =>
      heartRateHour(
        new Date(Date.parse('2026-08-30T06:00:00Z') + h * 3_600_000)
          .toISOString()
          .replace('Z', '+00:00')
          .replace('.000', ''),
        h % 2 === 0 ? 40 + h : 150 + h,
      );
    await Promise.all([
      storeMeasurements(t, a.id, [later(0), later(2), later(4)]),
      storeMeasurements(t, a.id, [later(1), later(3), later(5)]),
    ]);
    await storeMeasurements(t, a.id, [later(6)]); // neither the day's minimum nor its maximum
    days = await expectConsistent(a.id);
    const day30 = days.find((d) => d.type === 'heart_rate' && d.local_date === '2026-08-30');
    expect(day30?.n_rows).toBe(13);
    // Readings, not windows: 13 hours of 60; the lowest and highest sample (the hourly means are
    // 42.9 and 157.9: base + 2.9).
    expect(day30?.n_values).toBe(13 * 60);
    expect(day30?.min).toBe(40);
    expect(day30?.max).toBe(161);

    // A re-sync with a corrected total: an update, not an insert.
    await storeMeasurements(t, a.id, [steps('2026-08-29', 8500)]);
    days = await expectConsistent(a.id);
    expect(days.find((d) => d.type === 'steps' && d.local_date === '2026-08-29')?.sum).toBe(8500);

    // The same record (vendor key) now dated a day later: its old day is re-aggregated too.
    const moved = steps('2026-08-31', 7000);
    await storeMeasurements(t, a.id, [{ ...moved, vendorKey: 'steps|2026-08-30' }]);
    days = await expectConsistent(a.id);
    expect(days.filter((d) => d.type === 'steps').map((d) => [d.local_date, d.sum])).toEqual([
      ['2026-08-29', 8500],
      ['2026-08-31', 7000],
    ]);

    // A deleted Observation leaves its day (the last one of the day: the day goes).
    const weightRow = await t.deps.db
      .selectFrom('fhir_resources')
      .select('id')
      .where('user_id', '=', a.id)
      .where('type', '=', 'body_weight')
      .executeTakeFirstOrThrow();
    expect(await t.deps.fhir.store.deleteResource({ userId: a.id }, 'Observation', weightRow.id)).toBe(true);
    days = await expectConsistent(a.id);
    expect(days.some((d) => d.type === 'body_weight')).toBe(false);

    // The summary over dates (rollup) equals the summary over the same instants (the rows).
    const byDate = await summarize(
      t.deps.db,
      a.id,
      'heart_rate',
      parseRange({ start: '2026-08-29', end: '2026-09-01' }, 'UTC'),
      'day',
      '2026-09-01',
    );
    const byInstant = await summarize(
      t.deps.db,
      a.id,
      'heart_rate',
      parseRange({ start: '2026-08-29T00:00:00Z', end: '2026-09-01T00:00:00Z' }, 'UTC'),
      'day',
      '2026-09-01',
    );
    expect(byDate.map((r) => [r.bucket, r.count, r.min, r.max])).toEqual(
      byInstant.map((r) => [r.bucket, r.count, r.min, r.max]),
    );
    byDate.forEach((r, i) => {
      expect(r.avg).toBeCloseTo(byInstant[i]!.avg!, 9);
      expect(r.sum).toBeCloseTo(byInstant[i]!.sum!, 9);
    });

    // Erasure: every day of the person goes with their rows; the other person keeps theirs.
    const res = await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: a.auth });
    expect(res.statusCode).toBeLessThan(300);
    expect(await rollup(a.id)).toEqual([]);
    expect(await expectConsistent(b.id)).toEqual(bBefore);
  });

  it('keeps one row per source and day, through inserts, a changed source and deletes', async () => {
    const u = await registerUser(t.app);
    await Promise.all([
      storeMeasurements(t, u.id, [steps('2026-08-29', 8000), weight('2026-08-29T07:00:00+00:00', 71)]),
      storeMeasurements(t, u.id, [
        steps('2026-08-29', 7000, { vendor: 'withings' }),
        weight('2026-08-29T06:00:00+00:00', 70, { vendor: 'withings' }),
        weight('2026-08-29T20:00:00+00:00', 70.4, { vendor: 'withings' }),
      ]),
    ]);
    let days = await expectConsistent(u.id);
    expect(days.map((d) => [d.type, d.source, d.n_rows, d.sum])).toEqual([
      ['body_weight', 'fitbit', 1, 71],
      ['body_weight', 'withings', 2, 140.4],
      ['steps', 'fitbit', 1, 8000],
      ['steps', 'withings', 1, 7000],
    ]);

    // A row whose source changes moves between its day's per-source rows.
    await sql`update fhir_resources set source_vendor = 'apple_health'
      where user_id = ${u.id} and type = 'steps' and source_vendor = 'withings'`.execute(t.deps.db);
    days = await expectConsistent(u.id);
    expect(days.filter((d) => d.type === 'steps').map((d) => d.source)).toEqual(['apple_health', 'fitbit']);

    // A source's last row of the day goes: its row goes, the other source's stays.
    const fitbitWeight = await t.deps.db
      .selectFrom('fhir_resources')
      .select('id')
      .where('user_id', '=', u.id)
      .where('type', '=', 'body_weight')
      .where('source_vendor', '=', 'fitbit')
      .executeTakeFirstOrThrow();
    await t.deps.fhir.store.deleteResource({ userId: u.id }, 'Observation', fitbitWeight.id);
    days = await expectConsistent(u.id);
    expect(days.filter((d) => d.type === 'body_weight').map((d) => [d.source, d.n_rows])).toEqual([
      ['withings', 2],
    ]);
  });

  it('a day whose observations carry no value is a bucket with count 0', async () => {
    const u = await registerUser(t.app);
    await storeMeasurements(t, u.id, [steps('2026-08-29', 100)]);
    await sql`update fhir_resources set value = null where user_id = ${u.id}`.execute(t.deps.db);
    const days = await expectConsistent(u.id);
    expect(days).toEqual([
      {
        type: 'steps',
        local_date: '2026-08-29',
        source: 'fitbit',
        n_rows: 1,
        n_values: 0,
        min: null,
        max: null,
        sum: null,
      },
    ]);
    const [bucket] = await summarize(
      t.deps.db,
      u.id,
      'steps',
      parseRange({ start: '2026-08-01' }, 'UTC'),
      'month',
      '2026-09-01',
    );
    expect(bucket).toEqual({
      bucket: '2026-08-01',
      count: 0,
      min: null,
      max: null,
      avg: null,
      sum: null,
      sources: [{ source: 'fitbit', days: 1 }],
    });
  });

  it('summary numbers come back as the exact doubles stored (they travel as one JSON text)', async () => {
    const u = await registerUser(t.app);
    const values = [1234.5678901234567, 0.1, 1e-7, 98765432.10000001];
    await storeMeasurements(
      t,
      u.id,
      values.map((v, i) => steps(`2026-08-${String(10 + i)}`, v)),
    );
    const buckets = await summarize(
      t.deps.db,
      u.id,
      'steps',
      parseRange({ start: '2026-08-01' }, 'UTC'),
      'day',
      '2026-09-01',
    );
    expect(buckets.map((b) => [b.bucket, b.count, b.min, b.max, b.avg, b.sum])).toEqual(
      values.map((v, i) => [`2026-08-${String(10 + i)}`, 1, v, v, v, v]),
    );
  });

  it('migration 0007 down and up again: the rollup is backfilled from the rows written meanwhile', async () => {
    const u = await registerUser(t.app);
    await storeMeasurements(t, u.id, [steps('2026-08-29', 100)]);
    await migration0007.down(t.deps.db as never);
    await storeMeasurements(t, u.id, [
      steps('2026-08-30', 200),
      heartRateHour('2026-08-30T10:00:00+00:00', 70),
    ]);
    await migration0007.up(t.deps.db as never);
    // 0011 and 0015 redefine 0007's functions: replayed over the schema 0007 rebuilt (0015's own
    // tables go first: its up creates them again).
    await migration0011.down(t.deps.db as never);
    await migration0011.up(t.deps.db as never);
    await sql`drop table source_priorities`.execute(t.deps.db);
    await migration0015.up(t.deps.db as never);
    const days = await expectConsistent(u.id);
    expect(days.map((d) => [d.type, d.local_date])).toEqual([
      ['heart_rate', '2026-08-30'],
      ['steps', '2026-08-29'],
      ['steps', '2026-08-30'],
    ]);
  });

  it('migration 0011 down and up: windows get their samples back from the JSON, their days are re-aggregated', async () => {
    const u = await registerUser(t.app);
    await storeMeasurements(t, u.id, [
      steps('2026-08-29', 100),
      heartRateHour('2026-08-29T10:00:00+00:00', 70),
      heartRateHour('2026-08-29T11:00:00+00:00', 90, { minutes: 10 }),
    ]);
    const stats = async () =>
      (
        await sql<{
          type: string;
          sample_count: number | null;
          sample_min: number | null;
          sample_max: number | null;
        }>`
          select type, sample_count, sample_min, sample_max from fhir_resources
          where user_id = ${u.id} and resource_type = 'Observation' order by type, effective_start`.execute(
          t.deps.db,
        )
      ).rows;
    const written = await stats();
    expect(written).toEqual([
      { type: 'heart_rate', sample_count: 60, sample_min: 70, sample_max: 76 },
      { type: 'heart_rate', sample_count: 10, sample_min: 90, sample_max: 96 },
      { type: 'steps', sample_count: null, sample_min: null, sample_max: null },
    ]);
    // Without the source column (between 0015's down and up).
    const heartRateDay = async () =>
      (
        await sql<Pick<Day, 'n_rows' | 'n_values' | 'min' | 'max' | 'sum'>>`
          select n_rows, n_values, min, max, sum from observation_days
          where user_id = ${u.id} and type = 'heart_rate'`.execute(t.deps.db)
      ).rows[0];

    // 0015 keeps 0011's aggregates by source: it goes first, and comes back last.
    await migration0015.down(t.deps.db as never);
    await migration0011.down(t.deps.db as never);
    // As before 0011: two windows, their means.
    expect(await heartRateDay()).toMatchObject({ n_rows: 2, n_values: 2, min: 72.9, max: 92.4 });

    await migration0011.up(t.deps.db as never);
    await migration0015.up(t.deps.db as never);
    expect(await stats()).toEqual(written);
    // 70 readings; the average weighs the 10-minute hour by its 10 readings, not as a whole hour.
    const day = await heartRateDay();
    expect(day).toMatchObject({ n_rows: 2, n_values: 70, min: 70, max: 96 });
    expect(day!.sum! / day!.n_values).toBeCloseTo((72.9 * 60 + 92.4 * 10) / 70, 9);
    await expectConsistent(u.id);
  });
});
