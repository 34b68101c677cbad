/**
 * The pure part of the PHR-Py migration: old Fitbit Observations -> measurements (units to UCUM,
 * local days in the person's zone), what counts as user-written, and where `fitbit_legacy` ranks.
 */
import type { Observation } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { effectiveOrder } from '../../src/health/source-priority.ts';
import { classifyObservation, readStamp } from '../../src/migrate/phr-py/observation.mapper.ts';
import { oldFitbitObservation } from '../helpers/phr-py.ts';

const old = (code: string, value: number, unit: string, effective: string) =>
  oldFitbitObservation({
    patientId: 'p1',
    type: 't',
    code,
    display: 'x',
    value,
    unit,
    effective,
  }) as Observation;
const LA = { zone: 'America/Los_Angeles' };

describe('classifyObservation', () => {
  it('converts Fitbit unit names to the canonical UCUM unit', () => {
    const cases: [string, number, string, string, number, string][] = [
      ['29463-7', 154.3, 'lbs', 'body_weight', 69.989, 'kg'],
      ['29463-7', 70.2, 'kg', 'body_weight', 70.2, 'kg'],
      ['41953-1', 5.2, 'km', 'distance', 5200, 'm'],
      ['41953-1', 2, 'mi', 'distance', 3218.7, 'm'],
      ['41950-7', 8000, 'steps', 'steps', 8000, '/d'],
      ['41981-2', 2100, 'Cal', 'calories', 2100, 'kcal'],
      ['8867-4', 61, 'bpm', 'heart_rate', 61, '/min'],
      ['59408-5', 96, '%', 'spo2', 96, '%'],
    ];
    for (const [code, value, unit, type, expected, ucum] of cases) {
      const c = classifyObservation(old(code, value, unit, '2026-10-21T00:00:00'), LA);
      expect(c.kind, `${code} ${unit}`).toBe('fitbit');
      if (c.kind !== 'fitbit') continue;
      expect(c.measurement).toMatchObject({
        type,
        value: expected,
        unit: ucum,
        source: { vendor: 'fitbit_legacy' },
      });
    }
  });

  it('puts a daily total on its local day: the date as written, or an instant’s day in the person’s zone', () => {
    const naive = classifyObservation(old('41950-7', 1, 'steps', '2026-10-21T13:45:00'), LA);
    expect(naive).toMatchObject({
      measurement: { localDate: '2026-10-21', daily: true, utcOffset: '-07:00' },
    });
    // 03:00 UTC on 22 October is still 21 October in Los Angeles.
    const instant = classifyObservation(old('41950-7', 1, 'steps', '2026-10-22T03:00:00Z'), LA);
    expect(instant).toMatchObject({
      measurement: { localDate: '2026-10-21', vendorKey: 'steps|2026-10-21' },
    });
    // After the change to standard time the day's offset follows.
    const winter = classifyObservation(old('41950-7', 1, 'steps', '2026-11-02T00:00:00'), LA);
    expect(winter).toMatchObject({ measurement: { localDate: '2026-11-02', utcOffset: '-08:00' } });
  });

  it('reads a naive point time as wall-clock time in the person’s zone', () => {
    expect(readStamp('2026-10-21T07:30:00', 'America/Los_Angeles')?.ms).toBe(
      Date.parse('2026-10-21T14:30:00Z'),
    );
    expect(readStamp('2026-10-21T07:30:00+02:00', 'America/Los_Angeles')?.ms).toBe(
      Date.parse('2026-10-21T05:30:00Z'),
    );
    expect(readStamp('yesterday', 'UTC')).toBeUndefined();
  });

  it('skips with a reason what it cannot place, and hands over what the app wrote', () => {
    expect(classifyObservation(old('41950-7', 1, 'floors', '2026-10-21T00:00:00'), LA)).toEqual({
      kind: 'skip',
      reason: 'unknown unit floors for steps',
    });
    expect(classifyObservation(old('12345-6', 1, 'x', '2026-10-21T00:00:00'), LA)).toEqual({
      kind: 'skip',
      reason: 'unknown code 12345-6',
    });
    const manual = { ...old('29463-7', 70, 'kg', '2026-10-21T08:00:00+02:00'), identifier: undefined };
    expect(classifyObservation(manual, LA).kind).toBe('user');
  });
});

describe('fitbit_legacy in the source order', () => {
  it('never goes before fitbit by default, even with more recent days', () => {
    const order = effectiveOrder(
      'steps',
      {},
      new Map([
        ['fitbit_legacy', 25],
        ['fitbit', 5],
        ['withings', 10],
      ]),
    ).sources;
    expect(order.indexOf('fitbit_legacy')).toBe(order.indexOf('fitbit') + 1);
    expect(order.indexOf('withings')).toBeLessThan(order.indexOf('fitbit'));
  });

  it('a person’s own list decides', () => {
    const order = effectiveOrder('steps', { type: ['fitbit_legacy', 'fitbit'] }).sources;
    expect(order.slice(0, 2)).toEqual(['fitbit_legacy', 'fitbit']);
  });
});
