import { describe, expect, it } from 'vitest';
import { offsetMinutes, parseOffset } from '../../src/fhir/time.ts';
import {
  isValidZone,
  localDateIn,
  offsetAt,
  storedZone,
  userZone,
  zoneOffsetAt,
} from '../../src/fhir/zones.ts';

describe('zones', () => {
  it('fixed offsets and UTC need no zone database', () => {
    expect(offsetMinutes('+05:30')).toBe(330);
    expect(offsetMinutes('Z')).toBe(0);
    expect(offsetMinutes('+15:00')).toBeUndefined();
    expect(offsetMinutes('Europe/Berlin')).toBeUndefined();
    expect(offsetMinutes('+05:75')).toBeUndefined();
    // One parser: the vendor-record check (parseOffset) refuses what offsetMinutes does.
    expect(parseOffset('-04:00')).toBe(-240);
    for (const bad of ['+15:00', '+05:75', '0530', 'Europe/Berlin'])
      expect(() => parseOffset(bad)).toThrow(RangeError);
    expect(offsetAt('UTC', 0)).toBe(0);
    expect(offsetAt('-04:00', 0)).toBe(-240);
    expect(localDateIn('+05:30', Date.parse('2026-08-29T20:00:00Z'))).toBe('2026-08-30');
  });

  it('IANA zones: the offset in force at an instant, and around a wall-clock time at DST edges', () => {
    expect(offsetAt('Europe/Berlin', Date.parse('2026-01-15T12:00:00Z'))).toBe(60);
    expect(offsetAt('Europe/Berlin', Date.parse('2026-07-15T12:00:00Z'))).toBe(120);
    expect(offsetAt('Asia/Kolkata', Date.parse('2026-07-15T12:00:00Z'))).toBe(330);
    expect(offsetAt('America/St_Johns', Date.parse('2026-01-15T12:00:00Z'))).toBe(-210);
    // 2026-03-29 02:30 does not exist in Berlin: read with the offset before the jump (+01:00, the
    // instant 01:30Z, which clocks show as 03:30). 2026-10-25 02:30 happens twice: the second one.
    expect(zoneOffsetAt('Europe/Berlin', Date.parse('2026-03-29T02:30:00Z'))).toBe(60);
    expect(zoneOffsetAt('Europe/Berlin', Date.parse('2026-03-29T03:30:00Z'))).toBe(120);
    expect(zoneOffsetAt('Europe/Berlin', Date.parse('2026-10-25T02:30:00Z'))).toBe(60);
    expect(zoneOffsetAt('Europe/Berlin', Date.parse('2026-10-25T01:30:00Z'))).toBe(120);
    expect(localDateIn('Asia/Tokyo', Date.parse('2026-08-29T20:00:00Z'))).toBe('2026-08-30');
    expect(localDateIn('America/Los_Angeles', Date.parse('2026-08-29T03:00:00Z'))).toBe('2026-08-28');
  });

  it('knows which zones it can use', () => {
    expect(isValidZone('Europe/Berlin')).toBe(true);
    expect(isValidZone('+02:00')).toBe(true);
    expect(isValidZone('Mars/Olympus')).toBe(false);
  });

  it("a person's zone: the stored one when valid, else the configured default", () => {
    expect(userZone('Asia/Tokyo', 'Europe/Berlin')).toBe('Asia/Tokyo');
    expect(userZone('+05:30', 'Europe/Berlin')).toBe('+05:30');
    expect(userZone('Mars/Olympus', 'Europe/Berlin')).toBe('Europe/Berlin');
    expect(userZone(null, 'Europe/Berlin')).toBe('Europe/Berlin');
    expect(userZone(undefined, 'UTC')).toBe('UTC');
    expect(storedZone('Mars/Olympus')).toBeUndefined();
    expect(storedZone('')).toBeUndefined();
    expect(storedZone('America/New_York')).toBe('America/New_York');
  });
});
