// The types Withings brings, through the store and the health API: blood pressure lists both
// pressures and summarizes its systolic one; a typed-in value shows no device; body composition
// and temperatures are served in their canonical units.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthObservation } from '../../src/fhir/index.ts';
import { mapMeasureGroups } from '../../src/vendors/withings/mappers/index.ts';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';
import { storeMeasurements } from '../helpers/observations.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const FIXTURES = join(import.meta.dirname, '../vendors/withings/mappers/fixtures');
const body = (name: string) => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')).body;

async function newYorker() {
  const u = await registerUser(t.app);
  await t.deps.db
    .updateTable('users')
    .set({ time_zone: 'America/New_York' })
    .where('id', '=', u.id)
    .execute();
  const { measurements } = mapMeasureGroups(body('project-getmeas-bp-temperatures'), { userId: '363' });
  await storeMeasurements(t, u.id, measurements);
  return u;
}

describe('Withings types in the health API', () => {
  it('lists a blood-pressure reading with both pressures, value = systolic, no device when typed in', async () => {
    const u = await newYorker();
    const res = await t.app.inject({
      url: '/health/observations?type=blood_pressure&sort=date',
      headers: u.auth,
    });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as HealthObservation[];
    expect(items.map((i) => [i.date, i.value, i.unit, i.components, i.source])).toEqual([
      [
        '2026-03-07',
        128.5,
        'mm[Hg]',
        { systolic: 128.5, diastolic: 81 },
        { vendor: 'withings', device: 'BPM Connect' },
      ],
      [
        '2026-03-08',
        131,
        'mm[Hg]',
        { systolic: 131, diastolic: 84 },
        { vendor: 'withings', device: 'BPM Connect' },
      ],
      ['2026-03-08', 140, 'mm[Hg]', { systolic: 140, diastolic: 90 }, { vendor: 'withings', device: null }],
    ]);
  });

  it('summarizes blood pressure by its systolic pressure, by local day and within a day', async () => {
    const u = await newYorker();
    const byDay = (
      await t.app.inject({
        url: '/health/summary?type=blood_pressure&start=2026-03-07&end=2026-03-09',
        headers: u.auth,
      })
    ).json();
    expect(byDay.unit).toBe('mm[Hg]');
    expect(
      byDay.buckets.map((b: { date: string; count: number; min: number; max: number }) => [
        b.date,
        b.count,
        b.min,
        b.max,
      ]),
    ).toEqual([
      ['2026-03-07', 1, 128.5, 128.5],
      ['2026-03-08', 2, 131, 140],
    ]);
    // A bound with a time of day reads the observations themselves, not the per-day rollup.
    const within = (
      await t.app.inject({
        url: `/health/summary?type=blood_pressure&start=${encodeURIComponent('2026-03-08T10:00:00-04:00')}&end=2026-03-09`,
        headers: u.auth,
      })
    ).json();
    expect(within.buckets.map((b: { count: number; avg: number }) => [b.count, b.avg])).toEqual([[1, 140]]);
  });

  it('serves temperatures, SpO2 and VO2 max in their canonical units; absolute skin temperature apart from the deviation', async () => {
    const u = await newYorker();
    const res = await t.app.inject({
      url: '/health/observations?type=body_temperature,skin_temperature,skin_temperature_deviation,spo2,vo2_max&sort=date',
      headers: u.auth,
    });
    const items = res.json().items as HealthObservation[];
    // The thermometer's 71 and 73 share an instant: compare without their order.
    expect(items.map((i) => [i.type, i.value, i.unit]).sort()).toEqual(
      [
        ['body_temperature', 37.12, 'Cel'],
        ['skin_temperature', 33.45, 'Cel'],
        ['body_temperature', 37, 'Cel'],
        ['spo2', 97, '%'],
        ['vo2_max', 41.5, 'mL/kg/min'],
      ].sort(),
    );
    const fhir = await t.app.inject({
      url: '/fhir/R4/Observation?code=http://loinc.org|85354-9',
      headers: u.auth,
    });
    expect(fhir.json().entry).toHaveLength(3);
  });
});
