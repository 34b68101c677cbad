// The arithmetic fast paths of toLocalIso / toEpochMs must agree with Date exactly.
import { describe, expect, test } from 'vitest';
import { localDayStartMs, toEpochMs, toLocalIso } from '../../src/fhir/time.ts';

const OFFSETS = ['Z', '+00:00', '+05:30', '-04:00', '+14:00', '-12:00', '+05:45'];

/** The formatting toLocalIso had before its fast path: Date#toISOString, shifted by the offset. */
function viaDate(epochMs: number, offset: string): string {
  const minutes =
    offset === 'Z'
      ? 0
      : (offset[0] === '-' ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4)));
  const shifted = new Date(epochMs + minutes * 60_000).toISOString();
  const ms = shifted.slice(19, 23);
  return `${shifted.slice(0, 19)}${ms === '.000' ? '' : ms}${offset === 'Z' ? '+00:00' : offset}`;
}

/** A fixed pseudo-random sequence (no wall-clock luck): instants from 1900 to 2500, whole seconds and not. */
function* instants(count: number): Generator<number> {
  let seed = 42;
  for (let i = 0; i < count; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    const fraction = seed / 2_147_483_648;
    const ms = Math.floor(-2.2e12 + fraction * 1.9e13);
    yield i % 2 === 0 ? ms - (ms % 1000) : ms;
  }
}

describe('toLocalIso / toEpochMs', () => {
  test('format like Date#toISOString and parse back to the same instant', () => {
    let i = 0;
    for (const ms of instants(20_000)) {
      const offset = OFFSETS[i++ % OFFSETS.length]!;
      const text = toLocalIso(ms, offset);
      expect(text).toBe(viaDate(ms, offset));
      expect(toEpochMs(text)).toBe(ms);
      expect(toEpochMs(new Date(ms).toISOString())).toBe(ms);
    }
  });

  test('edge instants: year bounds, leap days, day boundaries in offsets', () => {
    for (const ms of [
      0,
      -1,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2000, 1, 29),
      Date.UTC(1900, 1, 28, 12),
      -62_167_219_200_000, // 0000-01-01
      253_402_300_799_999, // 9999-12-31T23:59:59.999Z
      1.5, // fractional ms: Date truncates, so must we
    ]) {
      for (const offset of OFFSETS) expect(toLocalIso(ms, offset)).toBe(viaDate(ms, offset));
    }
  });

  test('anything else parses exactly as Date.parse does, or is refused', () => {
    for (const s of [
      '2026-02-29T00:00:00Z',
      '2024-02-29T00:00:00Z',
      '1900-02-29T00:00:00Z',
      '2000-02-29T00:00:00Z',
      '2026-04-31T10:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T23:60:00Z',
      '2026-01-01T10:00:00+24:00',
      '2026-01-01T10:00:00.5Z',
      '2026-01-01T10:00:00.12Z',
      '2026-01-01T10:00:00.123+01:00',
      '2026-01-01T10:00:00-00:00',
      '2026-01-01t10:00:00Z',
      'abcd-01-01T10:00:00Z',
      '2026-01-01',
      '2026-01-01T10:00Z',
      'not a time',
    ]) {
      const expected = Date.parse(s);
      if (Number.isNaN(expected)) expect(() => toEpochMs(s), s).toThrow(RangeError);
      else expect(toEpochMs(s), s).toBe(expected);
    }
  });

  test('localDayStartMs: local midnight of real dates only', () => {
    expect(localDayStartMs('2026-08-29', '+05:30')).toBe(Date.parse('2026-08-29T00:00:00+05:30'));
    expect(localDayStartMs('2024-02-29', '-04:00')).toBe(Date.parse('2024-02-29T00:00:00-04:00'));
    expect(localDayStartMs('2000-02-29', 'Z')).toBe(Date.parse('2000-02-29T00:00:00Z'));
    for (const bad of [
      '2026-02-29',
      '1900-02-29',
      '2026-02-30',
      '2026-04-31',
      '2026-00-10',
      '2026-13-01',
      '2026-1-01',
      '20260101',
      'abcd-ef-gh',
      '2026-08-29T00:00',
    ]) {
      expect(() => localDayStartMs(bad, '+00:00'), bad).toThrow(RangeError);
    }
  });
});
