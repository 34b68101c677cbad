/**
 * One source per day, then buckets, pure: the order decides, a source with values beats one
 * without, unnamed sources come after by name and untagged rows last; weeks are ISO weeks.
 */
import { describe, expect, it } from 'vitest';
import { bucketOf, type SourceDay, summarizeDays } from '../../src/health/day-choice.ts';

const day = (date: string, source: string, value: number | null): SourceDay => [
  date,
  source,
  value === null ? 0 : 1,
  value,
  value,
  value,
];

describe('summarizeDays', () => {
  it('takes the first source of the order that has data that day, never a sum', () => {
    const days = [
      day('2026-04-01', 'fitbit', 100),
      day('2026-04-01', 'withings', 200),
      day('2026-04-02', 'fitbit', 300),
    ];
    const rows = summarizeDays(days, ['withings', 'fitbit'], 'day');
    expect(rows.map((r) => [r.bucket, r.sum, r.sources])).toEqual([
      ['2026-04-01', 200, [{ source: 'withings', days: 1 }]],
      ['2026-04-02', 300, [{ source: 'fitbit', days: 1 }]],
    ]);
  });

  it('prefers a source with values, then the order, then names it does not list, untagged last', () => {
    expect(
      summarizeDays([day('d', 'withings', null), day('d', 'fitbit', 5)], ['withings'], 'day')[0]?.sum,
    ).toBe(5);
    const unnamed = [
      day('2026-04-01', '', 1),
      day('2026-04-01', 'zephyr', 2),
      day('2026-04-01', 'garmin', 3),
    ];
    expect(summarizeDays(unnamed, ['fitbit'], 'day')[0]?.sources).toEqual([{ source: 'garmin', days: 1 }]);
    expect(summarizeDays([day('2026-04-01', '', 1)], [], 'day')[0]).toMatchObject({
      sum: 1,
      sources: [{ source: null, days: 1 }],
    });
  });

  it('builds weeks from chosen days: sums, extremes, the average over values, sources by days', () => {
    const days = [
      day('2026-03-30', 'fitbit', 10),
      day('2026-03-31', 'fitbit', 20),
      day('2026-03-31', 'withings', 99),
      day('2026-04-01', 'withings', 30),
      day('2026-04-06', 'withings', 40),
    ];
    expect(summarizeDays(days, ['fitbit'], 'week')).toEqual([
      {
        bucket: '2026-03-30',
        count: 3,
        min: 10,
        max: 30,
        avg: 20,
        sum: 60,
        sources: [
          { source: 'fitbit', days: 2 },
          { source: 'withings', days: 1 },
        ],
      },
      {
        bucket: '2026-04-06',
        count: 1,
        min: 40,
        max: 40,
        avg: 40,
        sum: 40,
        sources: [{ source: 'withings', days: 1 }],
      },
    ]);
  });
});

describe('bucketOf', () => {
  it('starts ISO weeks on Monday, across a year boundary, and months on the first', () => {
    expect(bucketOf('2026-01-01', 'week')).toBe('2025-12-29');
    expect(bucketOf('2026-03-29', 'week')).toBe('2026-03-23');
    expect(bucketOf('2026-03-30', 'week')).toBe('2026-03-30');
    expect(bucketOf('2026-02-28', 'month')).toBe('2026-02-01');
    expect(bucketOf('2026-02-28', 'day')).toBe('2026-02-28');
  });
});
