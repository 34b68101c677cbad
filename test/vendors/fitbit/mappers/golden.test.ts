// Golden tests: recorded Google Health API payloads -> measurements -> FHIR, compared with the
// committed JSON in test/fhir/golden/. Regenerate deliberately with UPDATE_GOLDEN=1 and review the diff.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Device, Observation } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import {
  type HealthObservation,
  type Measurement,
  toDevice,
  toHealthObservation,
  toObservation,
} from '../../../../src/fhir/index.ts';
import {
  mapDailyRollUp,
  mapDataPoints,
  sumIntervalsByLocalDay,
  toVendorIdentity,
} from '../../../../src/vendors/fitbit/mappers/index.ts';
import { assertValid } from '../../../helpers/validate-fhir.ts';

// Project-made fixtures live beside this file; the vendor's samples in test/fixtures.
const FIXTURES = join(import.meta.dirname, 'fixtures');
const SAMPLES = join(import.meta.dirname, '../../../fixtures/google-health-samples');
const GOLDEN = join(import.meta.dirname, '../../../fhir/golden');
const ctx = (dataType: string) => ({
  patientId: 'patient-golden',
  now: new Date('2026-12-01T00:00:00Z'),
  sourceUri: `https://health.googleapis.com/v4/users/me/dataTypes/${dataType}/dataPoints`,
});

function fixture(name: string): unknown {
  const own = join(FIXTURES, `${name}.json`);
  return JSON.parse(readFileSync(existsSync(own) ? own : join(SAMPLES, `${name}.json`), 'utf8'));
}

interface Case {
  fixture: string;
  dataType: string;
  map: (json: never) => Measurement[];
}

const IST = { utcOffset: '+05:30' };
const EDT = { utcOffset: '-04:00' };
const CASES: Case[] = [
  { fixture: 'list-heart-rate-live-thirdparty', dataType: 'heart-rate', map: (j) => mapDataPoints(j, IST) },
  {
    fixture: 'project-schema-list-heart-rate-hours',
    dataType: 'heart-rate',
    map: (j) => mapDataPoints(j, IST),
  },
  { fixture: 'list-sleep-live-thirdparty', dataType: 'sleep', map: (j) => mapDataPoints(j, IST) },
  { fixture: 'schema-derived-list-sleep-stages', dataType: 'sleep', map: (j) => mapDataPoints(j, EDT) },
  {
    fixture: 'datapoint-daily-resting-heart-rate-live-thirdparty',
    dataType: 'daily-resting-heart-rate',
    map: (j) => mapDataPoints({ dataPoints: [j] }, IST),
  },
  {
    fixture: 'schema-derived-list-daily-resting-heart-rate',
    dataType: 'daily-resting-heart-rate',
    map: (j) => mapDataPoints(j, EDT),
  },
  {
    fixture: 'schema-derived-list-daily-oxygen-saturation',
    dataType: 'daily-oxygen-saturation',
    map: (j) => mapDataPoints(j, EDT),
  },
  {
    fixture: 'schema-derived-list-oxygen-saturation',
    dataType: 'oxygen-saturation',
    map: (j) => mapDataPoints(j, EDT),
  },
  { fixture: 'schema-derived-list-weight', dataType: 'weight', map: (j) => mapDataPoints(j, EDT) },
  { fixture: 'project-schema-list-body-fat', dataType: 'body-fat', map: (j) => mapDataPoints(j, EDT) },
  {
    fixture: 'project-schema-list-daily-metrics',
    dataType: 'daily-metrics',
    map: (j) => mapDataPoints(j, EDT),
  },
  {
    fixture: 'schema-derived-daily-rollup-response-steps',
    dataType: 'steps',
    map: (j) => mapDailyRollUp(j, EDT),
  },
  {
    fixture: 'project-schema-daily-rollup-distance-calories',
    dataType: 'distance',
    map: (j) => mapDailyRollUp(j, EDT),
  },
  {
    fixture: 'schema-derived-reconcile-response-steps',
    dataType: 'steps',
    map: (j) => sumIntervalsByLocalDay(j),
  },
  { fixture: 'schema-derived-list-steps', dataType: 'steps', map: (j) => sumIntervalsByLocalDay(j) },
];

interface Golden {
  observations: Observation[];
  devices: Device[];
  health: HealthObservation[];
}

function produce(c: Case): Golden {
  const measurements = c.map(fixture(c.fixture) as never);
  const observations = measurements.map((m) => toObservation(m, ctx(c.dataType)));
  const devices = new Map<string, Device>();
  for (const m of measurements) {
    const d = toDevice(m.source, { patientId: 'patient-golden' });
    if (d?.id) devices.set(d.id, d);
  }
  const health = observations.map((o) => toHealthObservation(o)).filter((h) => h !== undefined);
  return { observations, devices: [...devices.values()], health };
}

describe('golden: Google Health API payload -> FHIR', () => {
  for (const c of CASES) {
    test(c.fixture, () => {
      const got = produce(c);
      expect(got.observations.length).toBeGreaterThan(0);
      for (const r of [...got.observations, ...got.devices]) assertValid(r);
      expect(got.health).toHaveLength(got.observations.length);
      const file = join(GOLDEN, `${c.fixture}.fhir.json`);
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
        if (process.env.UPDATE_GOLDEN !== '1')
          throw new Error(`missing golden ${file}; run with UPDATE_GOLDEN=1`);
        writeFileSync(file, `${JSON.stringify(got, null, 2)}\n`);
      }
      expect(got).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    });
  }
});

// Hand-checked values, so the goldens are not only self-consistent.
describe('unit conversions and vendor quirks', () => {
  const health = (c: string) => produce(CASES.find((x) => x.fixture === c)!).health;

  test('live heart rate: int64 string bpm, "19800s" offset, local time kept', () => {
    const [h] = health('list-heart-rate-live-thirdparty');
    expect(h).toMatchObject({
      type: 'heart_rate',
      value: 61,
      unit: '/min',
      effective_start: '2026-08-29T10:59:57+05:30',
      date: '2026-08-29',
      source: { vendor: 'fitbit', device: 'Inspire 3' },
      samples: [{ time: '2026-08-29T10:59:57+05:30', value: 61 }],
    });
  });

  test('heart rate windows: one per device and local hour, every sample kept, gap preserved', () => {
    const h = health('project-schema-list-heart-rate-hours');
    expect(h.map((x) => [x.source.device, x.effective_start, x.samples?.length])).toEqual([
      ['Inspire 3', '2026-08-29T10:59:57+05:30', 1],
      ['Inspire 3', '2026-08-29T11:00:57+05:30', 6],
      ['Pixel Watch 3', '2026-08-29T11:01:12+05:30', 1],
    ]);
    const hour = h[1]!;
    expect(hour.samples?.map((s) => s.value)).toEqual([61, 62, 63, 64, 66, 67]);
    expect(hour.samples?.[4]?.time).toBe('2026-08-29T11:05:57+05:30'); // 11:04:57 was off-wrist
    expect(hour.value).toBe(63.83);
    expect(hour.effective_end).toBe('2026-08-29T11:06:57+05:30');
  });

  test('weight grams -> kg; spo2 percentage -> %', () => {
    expect(health('schema-derived-list-weight')[0]).toMatchObject({
      value: 81.2345,
      unit: 'kg',
      date: '2026-10-05',
    });
    expect(health('schema-derived-list-oxygen-saturation')[0]).toMatchObject({
      value: 96.4,
      unit: '%',
      effective_start: '2026-10-05T03:41:00-04:00',
    });
  });

  test('daily rollups: int64 countSum, millimeters -> m, kcalSum -> kcal, empty windows skipped', () => {
    expect(
      health('schema-derived-daily-rollup-response-steps').map((x) => [x.date, x.value, x.unit]),
    ).toEqual([
      ['2026-10-01', 8421, '/d'],
      ['2026-10-02', 10233, '/d'],
    ]);
    expect(
      health('project-schema-daily-rollup-distance-calories').map((x) => [x.type, x.date, x.value, x.unit]),
    ).toEqual([
      ['calories', '2026-10-01', 2312.6, 'kcal'],
      ['distance', '2026-10-01', 6230.457, 'm'],
      ['calories', '2026-10-02', 1980, 'kcal'],
    ]);
    expect(health('schema-derived-daily-rollup-response-steps')[0]).toMatchObject({
      effective_start: '2026-10-01T00:00:00-04:00',
      effective_end: '2026-10-02T00:00:00-04:00',
    });
  });

  test('daily metrics: RMSSD ms, breaths/min, skin temperature deviation = nightly - baseline, VO2 max', () => {
    expect(health('project-schema-list-daily-metrics').map((x) => [x.type, x.value, x.unit])).toEqual([
      ['hrv_rmssd', 41.7, 'ms'],
      ['respiratory_rate', 14.8, '/min'],
      ['skin_temperature_deviation', 0.3, 'Cel'],
      ['vo2_max', 44.5, 'mL/kg/min'],
    ]);
  });

  test('sleep: live CLASSIC session belongs to the morning it ends; STAGES keep stage minutes', () => {
    expect(health('list-sleep-live-thirdparty')[0]).toMatchObject({
      value: 480,
      unit: 'min',
      effective_start: '2026-08-27T22:54:00+05:30',
      effective_end: '2026-08-28T06:54:00+05:30',
      date: '2026-08-28',
      components: { asleep: 480 },
    });
    expect(health('schema-derived-list-sleep-stages')[0]?.components).toEqual({
      awake: 5,
      light: 10,
      deep: 10,
      rem: 5,
    });
  });

  test('reconciled and listed step intervals sum per local day; true zeros count', () => {
    expect(health('schema-derived-reconcile-response-steps')[0]).toMatchObject({
      date: '2026-10-05',
      value: 112,
    });
    expect(health('schema-derived-list-steps')[0]).toMatchObject({ date: '2026-10-05', value: 112 });
  });

  test('types this project does not store are skipped', () => {
    expect(mapDataPoints(fixture('list-exercise-codelab') as never, IST)).toEqual([]);
  });

  test('identity keeps the 64-bit healthUserId as a string', () => {
    expect(toVendorIdentity(fixture('identity-response-thirdparty') as never)).toEqual({
      healthUserId: '111111256096816351',
      legacyUserId: 'A1B2C3',
    });
  });
});
