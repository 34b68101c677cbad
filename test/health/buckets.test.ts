import { describe, expect, it } from 'vitest';
import { bucketBounder } from '../../src/health/buckets.ts';

describe('bucketBounder', () => {
  it('fixed offsets: local midnights at that offset', () => {
    expect(bucketBounder('UTC')('2026-12-31', 'day')).toEqual({
      date: '2026-12-31',
      start: '2026-12-31T00:00:00+00:00',
      end: '2027-01-01T00:00:00+00:00',
    });
    expect(bucketBounder('+05:30')('2026-02-01', 'month')).toEqual({
      date: '2026-02-01',
      start: '2026-02-01T00:00:00+05:30',
      end: '2026-03-01T00:00:00+05:30',
    });
  });

  it('zones with rules: DST days are 23 or 25 hours, a midnight in a gap starts at 01:00', () => {
    const ny = bucketBounder('America/New_York');
    expect(ny('2026-11-01', 'day')).toEqual({
      date: '2026-11-01',
      start: '2026-11-01T00:00:00-04:00',
      end: '2026-11-02T00:00:00-05:00',
    });
    // Chile springs forward at 00:00 local: 2026-09-06 begins at 01:00 -03:00.
    const santiago = bucketBounder('America/Santiago')('2026-09-06', 'day');
    expect(Date.parse(santiago.end) - Date.parse(santiago.start)).toBe(23 * 3_600_000);
  });

  it('remembers bounds per zone and bucket size: the same date as a day and as a month differ', () => {
    const berlin = bucketBounder('Europe/Berlin');
    const day = berlin('2026-03-01', 'day');
    const month = berlin('2026-03-01', 'month');
    expect(day.end).toBe('2026-03-02T00:00:00+01:00');
    expect(month.end).toBe('2026-04-01T00:00:00+02:00');
    expect(bucketBounder('Europe/Berlin')('2026-03-01', 'day')).toEqual(day);
    expect(bucketBounder('America/New_York')('2026-03-01', 'day').start).toBe('2026-03-01T00:00:00-05:00');
  });
});
