import { describe, expect, test } from 'vitest';
import {
  dailyBounds,
  int64,
  offsetFromDuration,
  roundTo,
} from '../../../../src/vendors/fitbit/mappers/parse.ts';

describe('Google Health API value parsing', () => {
  test('utcOffset durations -> RFC 3339 offsets', () => {
    expect(offsetFromDuration('19800s')).toBe('+05:30');
    expect(offsetFromDuration('-18000s')).toBe('-05:00');
    expect(offsetFromDuration('-14400s')).toBe('-04:00');
    expect(offsetFromDuration('0s')).toBe('+00:00');
    expect(offsetFromDuration('45900s')).toBe('+12:45');
    expect(offsetFromDuration(undefined)).toBe('+00:00');
    expect(() => offsetFromDuration('19801s')).toThrow(RangeError);
    expect(() => offsetFromDuration('5h')).toThrow(RangeError);
  });

  test('int64 strings -> numbers; garbage is refused, not NaN', () => {
    expect(int64('2038')).toBe(2038);
    expect(int64(61)).toBe(61);
    expect(int64(undefined)).toBeUndefined();
    expect(() => int64('sixty')).toThrow(RangeError);
  });

  test('the local day in the given offset, half-open', () => {
    expect(dailyBounds('2026-10-05', '-04:00')).toEqual({
      start: '2026-10-05T00:00:00-04:00',
      end: '2026-10-06T00:00:00-04:00',
    });
    expect(() => dailyBounds('2026-02-30', '+00:00')).toThrow(RangeError);
  });

  test('conversion noise is rounded away', () => {
    expect(roundTo(34.1 - 33.8, 3)).toBe(0.3);
    expect(roundTo(6230457 / 1000, 3)).toBe(6230.457);
  });
});
