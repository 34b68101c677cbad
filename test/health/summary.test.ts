import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';
import { heartRateHour, steps, storeMeasurements } from '../helpers/observations.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

interface Summary {
  type: string;
  unit: string;
  bucket: string;
  time_zone: string;
  buckets: {
    date: string;
    start: string;
    end: string;
    count: number;
    min: number;
    max: number;
    avg: number;
    sum: number;
  }[];
}

async function berliner() {
  const u = await registerUser(t.app);
  await t.deps.db.updateTable('users').set({ time_zone: 'Europe/Berlin' }).where('id', '=', u.id).execute();
  return u;
}

describe('GET /health/summary', () => {
  it('buckets by local day with DST-correct bounds (a 23-hour day)', async () => {
    const u = await berliner();
    await storeMeasurements(t, u.id, [
      steps('2026-03-28', 1000, { offset: '+01:00' }),
      steps('2026-03-29', 3000, { offset: '+02:00' }),
      steps('2026-03-30', 5000, { offset: '+02:00' }),
    ]);
    const res = await t.app.inject({
      url: '/health/summary?type=steps&start=2026-03-28&end=2026-03-31',
      headers: u.auth,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as Summary;
    expect(body).toMatchObject({ type: 'steps', unit: '/d', bucket: 'day', time_zone: 'Europe/Berlin' });
    expect(body.buckets).toEqual([
      {
        date: '2026-03-28',
        start: '2026-03-28T00:00:00+01:00',
        end: '2026-03-29T00:00:00+01:00',
        count: 1,
        min: 1000,
        max: 1000,
        avg: 1000,
        sum: 1000,
        source: 'fitbit',
      },
      {
        date: '2026-03-29',
        start: '2026-03-29T00:00:00+01:00',
        end: '2026-03-30T00:00:00+02:00',
        count: 1,
        min: 3000,
        max: 3000,
        avg: 3000,
        sum: 3000,
        source: 'fitbit',
      },
      {
        date: '2026-03-30',
        start: '2026-03-30T00:00:00+02:00',
        end: '2026-03-31T00:00:00+02:00',
        count: 1,
        min: 5000,
        max: 5000,
        avg: 5000,
        sum: 5000,
        source: 'fitbit',
      },
    ]);
    const hours = (b: { start: string; end: string }) =>
      (Date.parse(b.end) - Date.parse(b.start)) / 3_600_000;
    expect(body.buckets.map(hours)).toEqual([24, 23, 24]);
  });

  it('buckets by ISO week and by month', async () => {
    const u = await berliner();
    await storeMeasurements(t, u.id, [
      steps('2026-03-22', 100, { offset: '+01:00' }), // a Sunday: week of 03-16
      steps('2026-03-23', 200, { offset: '+01:00' }),
      steps('2026-03-29', 300, { offset: '+02:00' }),
      steps('2026-04-01', 400, { offset: '+02:00' }),
    ]);
    const week = (
      await t.app.inject({ url: '/health/summary?type=steps&bucket=week', headers: u.auth })
    ).json() as Summary;
    expect(week.buckets.map((b) => [b.date, b.start, b.end, b.count, b.sum])).toEqual([
      ['2026-03-16', '2026-03-16T00:00:00+01:00', '2026-03-23T00:00:00+01:00', 1, 100],
      ['2026-03-23', '2026-03-23T00:00:00+01:00', '2026-03-30T00:00:00+02:00', 2, 500],
      ['2026-03-30', '2026-03-30T00:00:00+02:00', '2026-04-06T00:00:00+02:00', 1, 400],
    ]);
    const month = (
      await t.app.inject({ url: '/health/summary?type=steps&bucket=month', headers: u.auth })
    ).json() as Summary;
    expect(month.buckets.map((b) => [b.date, b.start, b.end, b.count, b.min, b.max, b.sum])).toEqual([
      ['2026-03-01', '2026-03-01T00:00:00+01:00', '2026-04-01T00:00:00+02:00', 3, 100, 300, 600],
      ['2026-04-01', '2026-04-01T00:00:00+02:00', '2026-05-01T00:00:00+02:00', 1, 400, 400, 400],
    ]);
  });

  it('summarizes heart rate by its readings: the lowest and highest sample, every reading weighed once', async () => {
    const u = await berliner();
    // Samples base..base+6 cycling over 60 minutes: the mean is base + 2.9.
    await storeMeasurements(t, u.id, [
      heartRateHour('2026-06-01T08:00:00+02:00', 60),
      heartRateHour('2026-06-01T09:00:00+02:00', 80),
      heartRateHour('2026-06-02T09:00:00+02:00', 70),
    ]);
    const body = (
      await t.app.inject({
        url: '/health/summary?type=heart_rate&start=2026-06-01&end=2026-06-02',
        headers: u.auth,
      })
    ).json() as Summary;
    expect(body.unit).toBe('/min');
    expect(body.buckets).toHaveLength(1);
    const [b] = body.buckets;
    // 120 readings, not 2 hourly means (62.9 and 82.9).
    expect(b!.count).toBe(120);
    expect(b!.min).toBe(60);
    expect(b!.max).toBe(86);
    expect(b!.avg).toBeCloseTo(72.9, 1);
  });

  it('refuses bad input with 400 naming the field, and sees only the caller’s data', async () => {
    const u = await berliner();
    for (const [q, field] of [
      ['', 'type'],
      ['type=steps,heart_rate', 'type'],
      ['type=nope', 'type'],
      ['type=steps&bucket=year', 'bucket'],
      ['type=steps&start=2026-02-29', 'start'],
      ['type=steps&start=2026-03-02&end=2026-03-01', 'end'],
      ['type=steps&x=1', 'x'],
    ] as const) {
      const res = await t.app.inject({ url: `/health/summary?${q}`, headers: u.auth });
      expect(res.statusCode, q).toBe(400);
      const fields = (res.json() as { errors: { field: string }[] }).errors.map((e) => e.field);
      expect(
        fields.some((f) => f === field || f.endsWith(`.${field}`)),
        `${q}: ${fields}`,
      ).toBe(true);
    }
    const other = await registerUser(t.app);
    await storeMeasurements(t, other.id, [steps('2026-03-28', 999)]);
    const mine = (
      await t.app.inject({ url: '/health/summary?type=steps', headers: u.auth })
    ).json() as Summary;
    expect(mine.buckets).toEqual([]);
  });
});
