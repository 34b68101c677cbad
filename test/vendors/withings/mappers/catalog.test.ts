// The helpers the Withings connector shares with the mappers: exact unit scaling and the
// meastype / notification-category tables.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MEASUREMENT_TYPES } from '../../../../src/fhir/measurement.ts';
import {
  APPLI,
  appliesFor,
  MEASTYPE_TYPES,
  scaleValue,
  typesForAppli,
  WITHINGS_MEASTYPES,
  WITHINGS_TYPES,
} from '../../../../src/vendors/withings/mappers/index.ts';

describe('scaleValue', () => {
  test('value x 10^unit is the decimal Withings means, not a float product', () => {
    expect(380 * 10 ** -2).not.toBe(3.8); // why the helper exists (a Body Scan bone mass)
    expect(scaleValue(380, -2)).toBe(3.8);
    expect(scaleValue(65750, -3)).toBe(65.75);
    expect(scaleValue(725432, -4)).toBe(72.5432);
    expect(scaleValue(844, -1)).toBe(84.4);
    expect(scaleValue(12850, -2)).toBe(128.5);
    expect(scaleValue(128, 0)).toBe(128);
    expect(scaleValue(178, 1)).toBe(1780);
    expect(scaleValue(-1525, -3)).toBe(-1.525);
    expect(scaleValue(1780, -3 + 2)).toBe(178); // height: m -> cm is two more powers of ten
  });

  test('equals the shortest decimal of the digits for any value and unit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10_000_000, max: 10_000_000 }),
        fc.integer({ min: -6, max: 3 }),
        (v, u) => {
          const digits = String(Math.abs(v)).padStart(Math.max(1, -u + 1), '0');
          const point = digits.length + u;
          const text =
            u >= 0 ? `${digits}${'0'.repeat(u)}` : `${digits.slice(0, point)}.${digits.slice(point)}`;
          expect(scaleValue(v, u)).toBe(Number(`${v < 0 ? '-' : ''}${text}`));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('refuses what is not value x 10^unit', () => {
    expect(() => scaleValue(70.5, -1)).toThrow(RangeError);
    expect(() => scaleValue(705, -1.5)).toThrow(RangeError);
    expect(() => scaleValue(Number.NaN, 0)).toThrow(RangeError);
    expect(() => scaleValue(1, 400)).toThrow(RangeError);
  });
});

describe('meastypes and notification categories', () => {
  test('the meastypes to request are every mapped one, ascending', () => {
    expect(WITHINGS_MEASTYPES).toEqual([1, 4, 5, 6, 8, 9, 10, 11, 12, 54, 71, 73, 76, 88, 123]);
    expect(MEASTYPE_TYPES[9]).toBe('blood_pressure');
    expect(MEASTYPE_TYPES[73]).toBe('skin_temperature');
  });

  test('each category names its read and the types it may have changed', () => {
    expect(APPLI[1].service).toBe('getmeas');
    expect(typesForAppli(1)).toContain('body_weight');
    expect(typesForAppli(2)).toEqual(['body_temperature', 'skin_temperature']);
    expect(typesForAppli(4)).toEqual(['blood_pressure', 'heart_rate', 'spo2']);
    expect(typesForAppli(16)).toEqual(['steps', 'distance', 'calories']);
    expect(typesForAppli(44)).toEqual(['sleep', 'respiratory_rate', 'heart_rate']);
    expect(typesForAppli(46)).toEqual([]); // unlink: no data to read
  });

  test('the categories to subscribe to for a set of types', () => {
    expect(appliesFor(['steps', 'sleep'])).toEqual([16, 44]);
    expect(appliesFor(['heart_rate'])).toEqual([4, 44]);
    expect(appliesFor(['skin_temperature'])).toEqual([1, 2]);
    expect(appliesFor(['hrv_rmssd'])).toEqual([]);
  });

  test('every type a mapper produces is in some category, and is a measurement type', () => {
    const mapped = new Set<string>([
      ...Object.values(MEASTYPE_TYPES),
      'steps',
      'distance',
      'calories',
      'sleep',
      'respiratory_rate',
    ]);
    expect(new Set(WITHINGS_TYPES)).toEqual(mapped);
    for (const t of WITHINGS_TYPES) expect(MEASUREMENT_TYPES).toContain(t);
  });
});
