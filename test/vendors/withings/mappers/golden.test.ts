// Golden tests: Withings payloads -> measurements -> FHIR, compared with the committed JSON in
// test/fhir/golden/withings-*.fhir.json. Regenerate deliberately with UPDATE_GOLDEN=1 and review the diff.
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
  mapActivities,
  mapMeasureGroups,
  mapSleepSummaries,
  type SkipCounts,
  type WithingsMapResult,
} from '../../../../src/vendors/withings/mappers/index.ts';
import { assertValid } from '../../../helpers/validate-fhir.ts';

// Project-made fixtures live beside this file; the vendor's samples in test/fixtures.
const FIXTURES = join(import.meta.dirname, 'fixtures');
const SAMPLES = join(import.meta.dirname, '../../../fixtures/withings-samples');
const GOLDEN = join(import.meta.dirname, '../../../fhir/golden');
const USER = { userId: '363' };
const PATIENT = 'patient-golden';
const ctx = (service: string) => ({
  patientId: PATIENT,
  now: new Date('2026-12-01T00:00:00Z'),
  sourceUri: `https://wbsapi.withings.net/${service}`,
});

function fixture(name: string): unknown {
  const own = join(FIXTURES, `${name}.json`);
  return JSON.parse(readFileSync(existsSync(own) ? own : join(SAMPLES, `${name}.json`), 'utf8'));
}

/** A sample's `body`: files are `{status, body}` envelopes, except the bare list of Body Scan groups. */
function bodyOf(name: string): never {
  const json = fixture(name) as { body?: unknown };
  if (Array.isArray(json)) {
    // NOTE: the AIOW sample has no envelope; its library's other samples answer in Europe/Amsterdam.
    return { timezone: 'Europe/Amsterdam', measuregrps: json } as never;
  }
  return json.body as never;
}

interface Case {
  fixture: string;
  service: string;
  map: (body: never) => WithingsMapResult;
}

const MEASURE = 'measure';
const ACTIVITY = 'v2/measure';
const SLEEP = 'v2/sleep';
const CASES: Case[] = [
  {
    fixture: 'getmeas-withings-sample-excerpt.withings-sas',
    service: MEASURE,
    map: (b) => mapMeasureGroups(b, USER),
  },
  { fixture: 'getmeas-bodyplus.aiowithings', service: MEASURE, map: (b) => mapMeasureGroups(b, USER) },
  {
    fixture: 'getmeas-group-bodyscan-positions.aiowithings',
    service: MEASURE,
    map: (b) => mapMeasureGroups(b, USER),
  },
  { fixture: 'getmeas-paginated.schema', service: MEASURE, map: (b) => mapMeasureGroups(b, USER) },
  { fixture: 'project-getmeas-units-attribs', service: MEASURE, map: (b) => mapMeasureGroups(b, USER) },
  { fixture: 'project-getmeas-body-cardio', service: MEASURE, map: (b) => mapMeasureGroups(b, USER) },
  { fixture: 'project-getmeas-bp-temperatures', service: MEASURE, map: (b) => mapMeasureGroups(b, USER) },
  { fixture: 'getactivity-googlefit.aiowithings', service: ACTIVITY, map: (b) => mapActivities(b, USER) },
  { fixture: 'project-getactivity-trackers', service: ACTIVITY, map: (b) => mapActivities(b, USER) },
  { fixture: 'getsummary-excerpt.aiowithings', service: SLEEP, map: (b) => mapSleepSummaries(b, USER) },
  {
    fixture: 'getsummary-no-data-fields-excerpt.aiowithings',
    service: SLEEP,
    map: (b) => mapSleepSummaries(b, USER),
  },
  { fixture: 'project-getsummary-naps-external', service: SLEEP, map: (b) => mapSleepSummaries(b, USER) },
];

interface Golden {
  skipped: SkipCounts;
  observations: Observation[];
  devices: Device[];
  health: HealthObservation[];
}

function mapped(name: string): { measurements: Measurement[]; skipped: SkipCounts } {
  const c = CASES.find((x) => x.fixture === name)!;
  return c.map(bodyOf(c.fixture));
}

function produce(c: Case): Golden {
  const { measurements, skipped } = c.map(bodyOf(c.fixture));
  const observations = measurements.map((m) => toObservation(m, ctx(c.service)));
  const devices = new Map<string, Device>();
  for (const m of measurements) {
    const d = toDevice(m.source, { patientId: PATIENT });
    if (d?.id) devices.set(d.id, d);
  }
  const health = observations.map((o) => toHealthObservation(o)).filter((h) => h !== undefined);
  return { skipped, observations, devices: [...devices.values()], health };
}

const health = (name: string) => produce(CASES.find((x) => x.fixture === name)!).health;
const observations = (name: string) => produce(CASES.find((x) => x.fixture === name)!).observations;

describe('golden: Withings payload -> FHIR', () => {
  for (const c of CASES) {
    test(c.fixture, () => {
      const got = produce(c);
      for (const r of [...got.observations, ...got.devices]) assertValid(r);
      expect(got.health).toHaveLength(got.observations.length);
      const file = join(GOLDEN, `withings-${c.fixture}.fhir.json`);
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
describe('measures (getmeas)', () => {
  test('weights in every unit Withings uses, scaled once and exactly', () => {
    const weights = (name: string) =>
      health(name)
        .filter((h) => h.type === 'body_weight')
        .map((h) => h.value);
    expect(weights('project-getmeas-units-attribs')).toEqual([72.5432, 72.54, 73.1, 72.61, 65.75]);
    expect(weights('getmeas-withings-sample-excerpt.withings-sas')).toEqual([83.289, 82.544, 84.4]);
    expect(health('getmeas-withings-sample-excerpt.withings-sas')[0]).toMatchObject({
      unit: 'kg',
      effective_start: '2021-08-03T06:16:12-05:00', // America/Chicago in August
      date: '2021-08-03',
      source: { vendor: 'withings', device: null },
    });
  });

  test('height arrives in metres and is stored in cm', () => {
    const heights = health('project-getmeas-units-attribs').filter((h) => h.type === 'height');
    expect(heights.map((h) => [h.value, h.unit, h.code.code])).toEqual([
      [178, 'cm', '8302-2'],
      [178, 'cm', '8302-2'],
    ]);
  });

  test('attrib 1 (ambiguous), 4 (at account creation) and category 2 (a goal) are counted, not kept', () => {
    const { measurements, skipped } = mapped('project-getmeas-units-attribs');
    expect(skipped).toEqual({ ambiguous: 1, creation_time: 1, objective: 1 });
    const keys = measurements.map((m) => m.vendorKey);
    for (const grpid of ['6100000003', '6100000004', '6100000006'])
      expect(keys.some((k) => k.includes(grpid))).toBe(false);
  });

  test('attrib 2 is the person’s own entry: no Device, method says user-entered; other attribs name the scale', () => {
    const obs = observations('project-getmeas-units-attribs');
    const manual = obs.filter((o) => o.method);
    expect(manual.map((o) => o.identifier?.[0]?.value)).toEqual([
      `${PATIENT}:withings:363:6100000005:body_weight`,
      `${PATIENT}:withings:363:6100000008:height`,
    ]);
    for (const o of manual) {
      expect(o.device).toBeUndefined();
      expect(o.method).toEqual({
        coding: [
          {
            system: 'https://phr.example/fhir/CodeSystem/phr-observation',
            code: 'user-entered',
            display: 'Entered by the person, not measured by a device',
          },
        ],
        text: 'User-entered',
      });
    }
    // attrib 0, 3 (undocumented) and 7 (confirmed by the person) are device-captured.
    const captured = obs.filter((o) => !o.method);
    expect(captured).toHaveLength(6);
    for (const o of captured) expect(o.device?.display).toBe('Body+');
    const { measurements } = mapped('project-getmeas-units-attribs');
    expect(
      measurements.filter((m) => m.source.userEntered).map((m) => toDevice(m.source, { patientId: 'p' })),
    ).toEqual([undefined, undefined]);
  });

  test('a Body Cardio weigh-in: three groups, one instant, heart rate on its own, unknown types counted', () => {
    const h = health('project-getmeas-body-cardio');
    expect(h.map((x) => [x.type, x.value, x.unit])).toEqual([
      ['body_weight', 80.512, 'kg'],
      ['fat_free_mass', 64.1, 'kg'],
      ['body_fat', 20.389, '%'],
      ['fat_mass', 16.41, 'kg'],
      ['muscle_mass', 60.9, 'kg'],
      ['bone_mass', 3.2, 'kg'],
      ['heart_rate', 64, '/min'],
    ]);
    expect(new Set(h.map((x) => x.effective_start))).toEqual(new Set(['2026-10-24T07:12:31+02:00']));
    expect(new Set(h.map((x) => x.source.device))).toEqual(new Set(['Body Cardio']));
    // 77 hydration, 91 pulse wave velocity, 155 vascular age.
    expect(mapped('project-getmeas-body-cardio').skipped).toEqual({ unsupported_type: 3 });
    const categories = observations('project-getmeas-body-cardio').map(
      (o) => o.category?.[0]?.coding?.[0]?.code,
    );
    expect(categories).toEqual(['vital-signs', 'exam', 'vital-signs', 'exam', 'exam', 'exam', 'vital-signs']);
  });

  test('blood pressure: one Observation per reading, both pressures, the pulse apart; offsets across DST', () => {
    const h = health('project-getmeas-bp-temperatures');
    const bp = h.filter((x) => x.type === 'blood_pressure');
    expect(bp.map((x) => [x.effective_start, x.value, x.components, x.source.device])).toEqual([
      ['2026-03-07T21:40:00-05:00', 128.5, { systolic: 128.5, diastolic: 81 }, 'BPM Connect'],
      ['2026-03-08T08:05:00-04:00', 131, { systolic: 131, diastolic: 84 }, 'BPM Connect'],
      ['2026-03-08T12:00:00-04:00', 140, { systolic: 140, diastolic: 90 }, null],
    ]);
    expect(bp.every((x) => x.unit === 'mm[Hg]' && x.code.code === '85354-9')).toBe(true);
    const [panel] = observations('project-getmeas-bp-temperatures');
    expect(panel?.valueQuantity).toBeUndefined();
    expect(panel?.meta?.profile).toEqual(['http://hl7.org/fhir/StructureDefinition/bp']);
    expect(panel?.component?.map((c) => [c.code.coding?.[0]?.code, c.valueQuantity?.value])).toEqual([
      ['8480-6', 128.5],
      ['8462-4', 81],
    ]);
    expect(h.filter((x) => x.type === 'heart_rate').map((x) => [x.effective_start, x.value])).toEqual([
      ['2026-03-07T21:40:00-05:00', 67],
      ['2026-03-09T06:15:00-04:00', 58],
    ]);
  });

  test('temperatures: 71 wins over 12 in one group; absolute skin temperature is its own type', () => {
    const h = health('project-getmeas-bp-temperatures');
    expect(h.filter((x) => x.type === 'body_temperature').map((x) => x.value)).toEqual([37.12, 37]);
    expect(h.filter((x) => x.type === 'skin_temperature').map((x) => [x.value, x.unit, x.code.code])).toEqual(
      [[33.45, 'Cel', '39106-0']],
    );
    expect(h.some((x) => x.type === 'skin_temperature_deviation')).toBe(false);
    expect(mapped('project-getmeas-bp-temperatures').skipped).toEqual({ incomplete: 1, duplicate: 1 });
    // A thermometer whose `model` is an integer: its Device has an id but no name.
    const thermo = observations('project-getmeas-bp-temperatures').find(
      (o) => o.code.text === 'Skin temperature',
    );
    expect(thermo?.device).toEqual({ reference: expect.stringMatching(/^Device\//) });
  });

  test('SpO2, VO2 max and heart rate of a ScanWatch group', () => {
    const h = health('project-getmeas-bp-temperatures').filter((x) => x.source.device === 'ScanWatch');
    expect(h.map((x) => [x.type, x.value, x.unit])).toEqual([
      ['spo2', 97, '%'],
      ['vo2_max', 41.5, 'mL/kg/min'],
      ['heart_rate', 58, '/min'],
    ]);
  });

  test('a repeated group (same grpid) and repeated measures are one record each', () => {
    expect(health('getmeas-bodyplus.aiowithings').map((x) => [x.type, x.value])).toEqual([
      ['body_weight', 118.003],
    ]);
    expect(mapped('getmeas-bodyplus.aiowithings').skipped).toEqual({ duplicate: 1 });
    const scan = mapped('getmeas-group-bodyscan-positions.aiowithings');
    expect(scan.measurements).toHaveLength(12); // two weigh-ins
    expect(scan.measurements.slice(0, 6).map((m) => [m.type, m.value])).toEqual([
      ['body_weight', 95.854],
      ['fat_free_mass', 77.18],
      ['fat_mass', 18.66],
      ['muscle_mass', 73.38],
      ['bone_mass', 3.8],
      ['body_fat', 19.467],
    ]);
    // Per weigh-in: 5 and 8 twice (duplicate); 77, 168, 169, 170, 226 and 15 segment values (173-175) unsupported.
    expect(scan.skipped).toEqual({ duplicate: 4, unsupported_type: 40 });
  });

  test('keys are <userid>:<grpid>:<type>: a re-sync, or an edit of a value, updates the same Observation', () => {
    const body = bodyOf('getmeas-paginated.schema') as {
      measuregrps: { measures: { value: number }[] }[];
    };
    const first = mapMeasureGroups(body as never, USER).measurements;
    expect(first.map((m) => m.vendorKey)).toEqual([
      '363:5149666502:blood_pressure',
      '363:5149666502:heart_rate',
      '363:5149666503:body_weight',
    ]);
    const edited = structuredClone(body);
    edited.measuregrps[0]!.measures[0]!.value = 130;
    const again = mapMeasureGroups(edited as never, USER).measurements;
    const ids = (ms: Measurement[]) => ms.map((m) => toObservation(m, ctx(MEASURE)).id);
    expect(ids(again)).toEqual(ids(first));
    expect(again[0]?.components).toEqual({ systolic: 130, diastolic: 82 });
    // Another Withings account with the same grpid is another record.
    expect(ids(mapMeasureGroups(body as never, { userId: '364' }).measurements)).not.toEqual(ids(first));
  });

  test('a missing or unknown zone falls back to the context’s zone, then UTC', () => {
    const body = {
      measuregrps: [
        {
          grpid: 1,
          attrib: 0,
          category: 1,
          date: 1_718_867_000,
          measures: [{ type: 1, value: 70, unit: 0 }],
        },
      ],
    };
    expect(mapMeasureGroups(body, USER).measurements[0]?.start).toBe('2024-06-20T07:03:20+00:00');
    expect(
      mapMeasureGroups({ ...body, timezone: 'Mars/Olympus' }, { ...USER, fallbackZone: 'Asia/Kolkata' })
        .measurements[0]?.start,
    ).toBe('2024-06-20T12:33:20+05:30');
  });

  test('values and groups that do not parse are counted as invalid, never thrown', () => {
    const body = {
      timezone: 'UTC',
      measuregrps: [
        { grpid: 1, attrib: 0, category: 1, date: 'yesterday', measures: [{ type: 1, value: 70, unit: 0 }] },
        {
          grpid: 2,
          attrib: 0,
          category: 1,
          date: 1_718_867_000,
          measures: [{ type: 1, value: 70.5, unit: -1 }],
        },
        {
          grpid: 3,
          attrib: 0,
          category: 1,
          date: 1_718_867_000,
          measures: [{ type: 1, value: 705, unit: -1 }],
        },
      ],
    };
    const r = mapMeasureGroups(body as never, USER);
    expect(r.measurements.map((m) => m.value)).toEqual([70.5]);
    expect(r.skipped).toEqual({ invalid: 2 });
  });

  test('a userId that cannot be part of a key is a programming error', () => {
    expect(() => mapMeasureGroups({}, { userId: '' })).toThrow(RangeError);
    expect(() => mapActivities({}, { userId: 'a:b' })).toThrow(RangeError);
  });
});

describe('activity (getactivity)', () => {
  test('phone and partner-app days (brand 18, no deviceid) are skipped, not double counted', () => {
    expect(mapped('getactivity-googlefit.aiowithings')).toEqual({
      measurements: [],
      skipped: { external_source: 2 },
    });
    expect(mapped('project-getactivity-trackers').skipped).toEqual({ external_source: 2 });
  });

  test('tracker days: local date in the row’s own zone, total calories, only the fields sent', () => {
    const h = health('project-getactivity-trackers');
    expect(h.map((x) => [x.date, x.type, x.value, x.unit, x.effective_start, x.effective_end])).toEqual([
      ['2026-06-01', 'steps', 9421, '/d', '2026-06-01T00:00:00+02:00', '2026-06-02T00:00:00+02:00'],
      ['2026-06-01', 'distance', 7012.35, 'm', '2026-06-01T00:00:00+02:00', '2026-06-02T00:00:00+02:00'],
      ['2026-06-01', 'calories', 2290.123, 'kcal', '2026-06-01T00:00:00+02:00', '2026-06-02T00:00:00+02:00'],
      ['2026-06-02', 'steps', 3022, '/d', '2026-06-02T00:00:00+09:00', '2026-06-03T00:00:00+09:00'],
      ['2026-06-02', 'distance', 2300.5, 'm', '2026-06-02T00:00:00+09:00', '2026-06-03T00:00:00+09:00'],
      ['2026-06-02', 'calories', 1890, 'kcal', '2026-06-02T00:00:00+09:00', '2026-06-03T00:00:00+09:00'],
      ['2026-06-03', 'steps', 11873, '/d', '2026-06-03T00:00:00+09:00', '2026-06-04T00:00:00+09:00'],
    ]);
    expect(new Set(h.map((x) => x.source.device))).toEqual(new Set(['ScanWatch']));
    const [steps] = observations('project-getactivity-trackers');
    expect(steps?.effectiveDateTime).toBe('2026-06-01');
    expect(steps?.identifier?.[0]?.value).toBe(
      `${PATIENT}:withings:363:activity:2026-06-01:d00dfeed5ca1ab1e0ddba11c0ffee0badf00d123:steps`,
    );
  });
});

describe('sleep (getsummary)', () => {
  test('each night belongs to Withings’ own date (the local date it ends on)', () => {
    for (const name of ['getsummary-excerpt.aiowithings', 'project-getsummary-naps-external']) {
      const series = (bodyOf(name) as { series: { id: number; date: string }[] }).series;
      const sleeps = mapped(name).measurements.filter((m) => m.type === 'sleep');
      for (const m of sleeps) {
        const s = series.find((x) => m.vendorKey === `363:sleep:${x.id}`);
        expect(m.localDate).toBe(s?.date);
      }
    }
  });

  test('a night: minutes asleep, stage minutes, breathing as that day’s rate, heart rate over the night', () => {
    const h = health('getsummary-excerpt.aiowithings');
    expect(h.slice(0, 3).map((x) => [x.type, x.value, x.date, x.effective_start, x.effective_end])).toEqual([
      ['sleep', 311, '2021-04-18', '2021-04-17T22:30:53+02:00', '2021-04-18T04:32:53+02:00'],
      ['respiratory_rate', 14, '2021-04-18', '2021-04-18T00:00:00+02:00', '2021-04-19T00:00:00+02:00'],
      ['heart_rate', 103, '2021-04-17', '2021-04-17T22:30:53+02:00', '2021-04-18T04:32:53+02:00'],
    ]);
    expect(h[0]?.components).toEqual({ light: 174, deep: 97, rem: 40, awake: 51 });
    expect(h[0]?.source.device).toBe('Sleep Analyzer');
    expect(h).toHaveLength(9);
    // Without data_fields: no breathing or heart rate, the sessions alone.
    expect(health('getsummary-no-data-fields-excerpt.aiowithings').map((x) => [x.type, x.value])).toEqual([
      ['sleep', 311],
      ['sleep', 457],
    ]);
  });

  test('naps share a date; an external night has only asleepduration; a series with no duration is counted', () => {
    const { measurements, skipped } = mapped('project-getsummary-naps-external');
    expect(skipped).toEqual({ incomplete: 1 });
    expect(measurements.map((m) => [m.type, m.localDate, m.value, m.components])).toEqual([
      ['sleep', '2026-06-02', 410, { light: 250, deep: 160, awake: 30 }],
      ['heart_rate', '2026-06-01', 58, undefined],
      ['sleep', '2026-06-02', 40, { light: 40, deep: 0, awake: 5 }],
      ['sleep', '2026-06-03', 420, { asleep: 420 }],
    ]);
    const external = measurements[3]!;
    expect(external.source).toEqual({ vendor: 'withings' });
    expect(toDevice(external.source, { patientId: 'p' })).toBeUndefined();
  });
});
