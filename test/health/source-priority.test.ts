/**
 * The source rules, pure: every measurement type has a group (a type added without one fails here),
 * the body, activity and vital-sign types fall into their groups, and the effective order puts a stored list
 * first, then the group's default (fixed, or most recent days with the fixed order for ties).
 */
import { describe, expect, it } from 'vitest';
import { MEASUREMENT_TYPES } from '../../src/fhir/measurement.ts';
import { WRITE_SOURCES } from '../../src/fhir/writes/write-source.ts';
import { effectiveOrder, groupOf, hasGroup, KNOWN_SOURCES } from '../../src/health/source-priority.ts';
import { VENDOR_IDS } from '../../src/vendors/types.ts';

describe('source groups', () => {
  it('places every measurement type in its group', () => {
    expect(MEASUREMENT_TYPES.filter((type) => !hasGroup(type))).toEqual([]);
    const body = ['body_weight', 'body_fat', 'fat_mass', 'fat_free_mass', 'muscle_mass', 'bone_mass'];
    for (const type of [...body, 'height', 'blood_pressure', 'body_temperature'])
      expect(groupOf(type)).toBe('body');
    for (const type of ['steps', 'distance', 'calories']) expect(groupOf(type)).toBe('activity');
    for (const type of ['sleep', 'heart_rate', 'resting_heart_rate', 'hrv_rmssd', 'spo2', 'respiratory_rate'])
      expect(groupOf(type)).toBe('vitals');
    expect(groupOf('skin_temperature')).toBe('vitals');
  });

  it('knows every registry vendor, the planned ones and the user-write sources', () => {
    expect(KNOWN_SOURCES).toEqual(
      expect.arrayContaining(['withings', 'apple_health', ...VENDOR_IDS, ...WRITE_SOURCES]),
    );
  });
});

describe('effectiveOrder', () => {
  it('body: scales first by default, whatever the data says', () => {
    const order = effectiveOrder('body_weight', {}, new Map([['fitbit', 30]]));
    expect(order.default).toBe(true);
    expect(order.sources.slice(0, 3)).toEqual(['withings', 'apple_health', 'fitbit']);
  });

  it('activity and vitals: most recent days first, ties in the fixed order, unknown sources by their days', () => {
    const days = new Map([
      ['withings', 12],
      ['garmin', 20],
      ['', 40],
    ]);
    expect(effectiveOrder('steps', {}, days).sources.slice(0, 3)).toEqual(['garmin', 'withings', 'fitbit']);
    expect(effectiveOrder('heart_rate', {}, new Map()).sources.slice(0, 3)).toEqual([
      'fitbit',
      'withings',
      'apple_health',
    ]);
    // Untagged rows are never named: the summary puts them last.
    expect(effectiveOrder('steps', {}, days).sources).not.toContain('');
  });

  it('a stored list goes first, the type’s over its group’s; the rest follow in the default order', () => {
    const order = effectiveOrder(
      'steps',
      { group: ['manual'], type: ['withings'] },
      new Map([['fitbit', 3]]),
    );
    expect(order.default).toBe(false);
    expect(order.sources.slice(0, 3)).toEqual(['withings', 'fitbit', 'apple_health']);
    expect(new Set(order.sources).size).toBe(order.sources.length);
    expect(effectiveOrder('distance', { group: ['manual'] }).sources[0]).toBe('manual');
  });
});
