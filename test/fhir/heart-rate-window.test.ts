import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  decodeSamples,
  encodeSamples,
  groupHeartRateSamples,
  sampleStats,
} from '../../src/fhir/heart-rate-window.ts';

const src = { vendor: 'fitbit', deviceName: 'Inspire 3' };
const at = (iso: string, value: number, utcOffset = '+05:30', source = src) => ({
  time: iso,
  utcOffset,
  value,
  source,
});

const window = (time: string, value: number) => ({ at: Date.parse(time), value });

describe('groupHeartRateSamples', () => {
  test('windows by local hour, not UTC hour (+05:30 hours start at :30 UTC)', () => {
    const windows = groupHeartRateSamples([
      at('2026-08-29T04:29:00Z', 60), // 09:59 local
      at('2026-08-29T04:31:00Z', 61), // 10:01 local
      at('2026-08-29T05:29:00Z', 62), // 10:59 local
    ]);
    expect(windows.map((w) => [w.vendorKey, w.samples?.map((s) => s.value)])).toEqual([
      ['heart_rate|Inspire 3|2026-08-29T09:00:00+05:30', [60]],
      ['heart_rate|Inspire 3|2026-08-29T10:00:00+05:30', [61, 62]],
    ]);
    expect(windows[1]).toMatchObject({
      value: 61.5,
      start: '2026-08-29T10:01:00+05:30',
      localDate: '2026-08-29',
    });
  });

  test('input order does not matter (the API answers newest first)', () => {
    const samples = [
      at('2026-08-29T05:00:05Z', 70),
      at('2026-08-29T05:00:00Z', 71),
      at('2026-08-29T05:00:05Z', 69),
    ];
    const a = groupHeartRateSamples(samples);
    const b = groupHeartRateSamples([...samples].reverse());
    expect(a).toEqual(b);
    // Same second twice: one value kept, deterministically.
    expect(a[0]?.samples).toEqual([
      { at: Date.parse('2026-08-29T10:30:00+05:30'), value: 71 },
      { at: Date.parse('2026-08-29T10:30:05+05:30'), value: 69 },
    ]);
  });

  test('devices and offsets never share a window', () => {
    const other = { vendor: 'fitbit', deviceName: 'Pixel Watch 3' };
    const windows = groupHeartRateSamples([
      at('2026-08-29T05:00:00Z', 70),
      at('2026-08-29T05:00:00Z', 80, '+05:30', other),
      at('2026-08-29T05:10:00Z', 75, '+04:00'),
    ]);
    expect(windows).toHaveLength(3);
  });
});

describe('SampledData encoding', () => {
  test('regular 1/min series: period 60000, one token per sample', () => {
    const samples = [0, 1, 2].map((i) => window(`2026-08-29T10:0${i}:30+05:30`, 60 + i));
    expect(encodeSamples(samples)).toEqual({ period: 60_000, data: '60 61 62' });
  });

  test('irregular spacing and gaps round-trip exactly', () => {
    const samples = [
      { time: '2026-08-29T10:00:00+05:30', value: 60 },
      { time: '2026-08-29T10:00:05+05:30', value: 61.5 },
      { time: '2026-08-29T10:00:20+05:30', value: 62 },
      { time: '2026-08-29T10:59:59+05:30', value: 90 },
    ];
    const { period, data } = encodeSamples(samples.map((s) => window(s.time, s.value)));
    expect(period).toBe(1000);
    expect(decodeSamples(samples[0]!.time, period, data)).toEqual(samples);
  });

  test('any time-ordered window of whole seconds within an hour round-trips exactly', () => {
    const t0 = Date.parse('2026-08-29T10:00:00+05:30');
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 3_599 }), { minLength: 1, maxLength: 200 }),
        fc.array(fc.integer({ min: 30, max: 220 }), { minLength: 200, maxLength: 200 }),
        (seconds, values) => {
          const samples = seconds
            .sort((x, y) => x - y)
            .map((sec, i) => ({ time: new Date(t0 + sec * 1000).toISOString(), value: values[i]! }));
          const { period, data } = encodeSamples(
            samples.map((x) => ({ at: Date.parse(x.time), value: x.value })),
          );
          const decoded = decodeSamples(samples[0]!.time.replace('Z', '+00:00'), period, data);
          expect(decoded.map((d) => [Date.parse(d.time), d.value])).toEqual(
            samples.map((x) => [Date.parse(x.time), x.value]),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  test('refuses samples out of time order or with a repeated time', () => {
    const a = window('2026-08-29T10:00:00+05:30', 60);
    const b = window('2026-08-29T10:01:00+05:30', 61);
    expect(() => encodeSamples([b, a])).toThrow(RangeError);
    expect(() => encodeSamples([a, b, b])).toThrow(RangeError);
  });

  test('refuses a grid finer than one hour of 1 s slots (ms spacing); groupHeartRateSamples never makes one', () => {
    expect(() =>
      encodeSamples([
        window('2026-08-29T10:00:00+05:30', 60),
        window('2026-08-29T10:00:00.001+05:30', 61),
        window('2026-08-29T10:59:00+05:30', 62),
      ]),
    ).toThrow(RangeError);
  });
});

describe('sampleStats', () => {
  test('count, min, max and sum of exactly the values decodeSamples lists, for any window', () => {
    const t0 = Date.parse('2026-08-29T10:00:00+05:30');
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 3_599 }), { minLength: 1, maxLength: 200 }),
        fc.array(fc.double({ min: 20, max: 250, noNaN: true }), { minLength: 200, maxLength: 200 }),
        (seconds, values) => {
          const samples = seconds
            .sort((x, y) => x - y)
            .map((sec, i) => ({ at: t0 + sec * 1000, value: values[i]! }));
          const { period, data } = encodeSamples(samples);
          const listed = decodeSamples('2026-08-29T10:00:00+05:30', period, data).map((s) => s.value);
          const stats = sampleStats(data);
          expect(stats.count).toBe(listed.length);
          expect(stats.min).toBe(Math.min(...listed));
          expect(stats.max).toBe(Math.max(...listed));
          expect(stats.sum).toBeCloseTo(
            listed.reduce((a, b) => a + b, 0),
            6,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  test('empty slots and text that is no number are not values; none at all is count 0', () => {
    expect(sampleStats('60 E E 62 L U 58')).toEqual({ count: 3, min: 58, max: 62, sum: 180 });
    expect(sampleStats('E E')).toEqual({ count: 0, min: null, max: null, sum: null });
    expect(sampleStats('70 abc Infinity')).toEqual({ count: 1, min: 70, max: 70, sum: 70 });
  });
});
