import { describe, expect, test } from 'vitest';
import {
  effectiveRange,
  type Measurement,
  toAppView,
  toDevice,
  toHealthObservation,
  toObservation,
  toPatient,
} from '../../src/fhir/index.ts';
import { assertValid } from '../helpers/validate-fhir.ts';

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const ctx = { patientId: 'p-1', now: new Date('2026-12-01T00:00:00Z'), sourceUri: 'urn:test:steps' };

const steps: Measurement = {
  type: 'steps',
  value: 8421,
  unit: '/d',
  start: '2026-08-29T00:00:00+05:30',
  end: '2026-08-30T00:00:00+05:30',
  utcOffset: '+05:30',
  localDate: '2026-08-29',
  source: { vendor: 'fitbit', deviceName: 'Inspire 3' },
  vendorKey: 'steps|2026-08-29',
  daily: true,
};

const weight: Measurement = {
  type: 'body_weight',
  value: 81.2345,
  unit: 'kg',
  start: '2026-10-05T11:00:00Z',
  end: '2026-10-05T11:00:00Z',
  utcOffset: '-04:00',
  localDate: '2026-10-05',
  source: { vendor: 'fitbit', deviceName: 'Aria Air', manufacturer: 'Fitbit' },
  vendorKey: 'users/1/dataTypes/weight/dataPoints/1759662000000',
  daily: false,
};

describe('toObservation', () => {
  test('docs/api.md example: a daily steps total reads back as the documented HealthObservation', () => {
    const obs = toObservation(steps, ctx);
    assertValid(obs);
    expect(toHealthObservation(obs)).toEqual({
      id: obs.id,
      type: 'steps',
      status: 'final',
      code: { system: 'http://loinc.org', code: '41950-7', display: 'Number of steps in 24 hour Measured' },
      value: 8421,
      unit: '/d',
      unit_display: 'steps/day',
      effective_start: '2026-08-29T00:00:00+05:30',
      effective_end: '2026-08-30T00:00:00+05:30',
      date: '2026-08-29',
      source: { vendor: 'fitbit', device: 'Inspire 3' },
      samples: null,
    });
  });

  test('id and identifier are deterministic per patient, vendor and vendor key', () => {
    const a = toObservation(steps, ctx);
    expect(toObservation({ ...steps, value: 9000 }, ctx).id).toBe(a.id);
    expect(toObservation(steps, { ...ctx, patientId: 'p-2' }).id).not.toBe(a.id);
    expect(toObservation({ ...steps, vendorKey: 'steps|2026-08-30' }, ctx).id).not.toBe(a.id);
    expect(a.id).toMatch(FHIR_ID);
    expect(a.identifier).toEqual([
      { system: 'https://phr.example/fhir/identifier/observation', value: 'p-1:fitbit:steps:2026-08-29' },
    ]);
  });

  test('status is preliminary until the local day is over in the measurement offset', () => {
    // 2026-08-29 ends at 2026-08-29T18:30:00Z in +05:30.
    expect(toObservation(steps, { ...ctx, now: new Date('2026-08-29T18:29:59.999Z') }).status).toBe(
      'preliminary',
    );
    expect(toObservation(steps, { ...ctx, now: new Date('2026-08-29T18:30:00Z') }).status).toBe('final');
    // The same local day in -04:00 ends later in UTC.
    const west = { ...steps, utcOffset: '-04:00' };
    expect(toObservation(west, { ...ctx, now: new Date('2026-08-30T03:59:59Z') }).status).toBe('preliminary');
  });

  test('daily totals: date-only effectiveDateTime plus the offset extension (no overlap with the next day)', () => {
    const obs = toObservation(steps, ctx);
    expect(obs.effectiveDateTime).toBe('2026-08-29');
    expect(obs.effectivePeriod).toBeUndefined();
    expect(obs.extension).toEqual([
      { url: 'https://phr.example/fhir/StructureDefinition/utc-offset', valueString: '+05:30' },
    ]);
  });

  test('point samples: effectiveDateTime in local time with its offset; vital-sign profile', () => {
    const obs = toObservation(weight, ctx);
    assertValid(obs);
    expect(obs.effectiveDateTime).toBe('2026-10-05T07:00:00-04:00');
    expect(obs.meta).toMatchObject({
      profile: ['http://hl7.org/fhir/StructureDefinition/bodyweight'],
      source: 'urn:test:steps',
    });
    expect(obs.extension).toBeUndefined();
  });

  test('device reference: derived from the source and equal to toDevice id, or ctx.deviceId', () => {
    const device = toDevice(weight.source, { patientId: 'p-1' });
    expect(device).toBeDefined();
    assertValid(device!);
    expect(toObservation(weight, ctx).device).toEqual({
      reference: `Device/${device!.id}`,
      display: 'Aria Air',
    });
    expect(toObservation(weight, { ...ctx, deviceId: 'dev-9' }).device?.reference).toBe('Device/dev-9');
    expect(toObservation({ ...weight, source: { vendor: 'fitbit' } }, ctx).device).toBeUndefined();
    expect(toDevice({ vendor: 'fitbit' }, { patientId: 'p-1' })).toBeUndefined();
  });

  test('refuses a unit that is not canonical instead of converting silently', () => {
    expect(() => toObservation({ ...weight, unit: 'g', value: 81234.5 }, ctx)).toThrow(/kg/);
  });

  test('sleep: period, minutes asleep, stage components; date is the morning it ends', () => {
    const sleep: Measurement = {
      type: 'sleep',
      value: 431,
      unit: 'min',
      components: { deep: 82, light: 251, rem: 98, awake: 45 },
      start: '2026-01-14T22:02:00Z',
      end: '2026-01-15T05:58:30Z',
      utcOffset: '+01:00',
      localDate: '2026-01-15',
      source: { vendor: 'fitbit', deviceName: 'Charge 6' },
      vendorKey: 'users/1/dataTypes/sleep/dataPoints/2',
      daily: false,
    };
    const obs = toObservation(sleep, ctx);
    assertValid(obs);
    expect(obs.effectivePeriod).toEqual({
      start: '2026-01-14T23:02:00+01:00',
      end: '2026-01-15T06:58:30+01:00',
    });
    expect(obs.component?.map((c) => [c.code.coding?.[0]?.code, c.valueQuantity?.value])).toEqual([
      ['sleep-awake', 45],
      ['93830-8', 251],
      ['93831-6', 82],
      ['93829-0', 98],
    ]);
    expect(toHealthObservation(obs)).toMatchObject({
      date: '2026-01-15',
      value: 431,
      components: sleep.components,
    });
  });
});

describe('toHealthObservation', () => {
  test('skips what the health API does not serve: app-posted BP panels, foreign units', () => {
    const panel = {
      resourceType: 'Observation' as const,
      status: 'final' as const,
      code: { coding: [{ system: 'http://loinc.org', code: '35094-2', display: 'Blood Pressure Panel' }] },
      effectiveDateTime: '2026-08-29T10:00:00.000000',
    };
    expect(toHealthObservation(panel)).toBeUndefined();
    const obs = toObservation(weight, ctx);
    expect(
      toHealthObservation({ ...obs, valueQuantity: { ...obs.valueQuantity, code: '[lb_av]' } }),
    ).toBeUndefined();
  });
});

describe('toAppView (PHR-App compatibility)', () => {
  test('a period becomes effectiveDateTime and coding[0].display the short label', () => {
    const sleep = toObservation(
      { ...weight, type: 'sleep', unit: 'min', value: 400, end: '2026-10-05T18:00:00Z' },
      ctx,
    );
    const view = toAppView(sleep);
    expect(view.effectiveDateTime).toBe('2026-10-05T07:00:00-04:00');
    expect(view.effectivePeriod).toBeUndefined();
    expect(view.code.coding?.[0]?.display).toBe('Sleep');
    expect(sleep.effectivePeriod).toBeDefined(); // the stored resource is untouched
  });

  test('SpO2 is labelled "Oxygen saturation", which the app maps to its SpO2 screen', () => {
    const spo2 = toObservation({ ...weight, type: 'spo2', unit: '%', value: 96.4 }, ctx);
    expect(toAppView(spo2).code.coding?.[0]?.display).toBe('Oxygen saturation');
    expect(toAppView(spo2).code.coding?.[0]?.code).toBe('2708-6');
  });
});

describe('toPatient', () => {
  test('a valid Patient keyed by the account', () => {
    const patient = toPatient({ patientId: 'p-1', userId: 7, name: 'ada', email: 'ada@example.org' });
    assertValid(patient);
    expect(patient).toMatchObject({
      id: 'p-1',
      identifier: [{ system: 'https://phr.example/fhir/identifier/user', value: '7' }],
      name: [{ text: 'ada' }],
    });
  });
});

describe('reading what PHR-App posts', () => {
  test('SpO2 coded 59408-5 alone is still spo2; a local time without offset is kept as sent', () => {
    const posted = {
      resourceType: 'Observation' as const,
      status: 'final' as const,
      code: { coding: [{ system: 'http://loinc.org', code: '59408-5', display: 'Oxygen Saturation' }] },
      effectiveDateTime: '2026-08-29T10:00:00.123456',
      valueQuantity: { value: 97.0, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    };
    expect(toHealthObservation(posted)).toMatchObject({
      type: 'spo2',
      value: 97,
      code: { code: '2708-6' },
      effective_start: '2026-08-29T10:00:00.123456',
      effective_end: null,
      date: '2026-08-29',
      source: { vendor: null, device: null },
    });
  });

  test('a month-precision effective date has no day to index', () => {
    const obs = toObservation(weight, ctx);
    expect(effectiveRange({ ...obs, effectiveDateTime: '2026-08' })).toBeUndefined();
  });
});
