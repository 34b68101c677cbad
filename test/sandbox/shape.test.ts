import { describe, expect, it } from 'vitest';
import { shapeDiff } from './shape.ts';

describe('shapeDiff', () => {
  it('accepts the same shape with other values', () => {
    expect(
      shapeDiff({ a: '1', b: [{ c: 2 }], d: '900s' }, { a: '42', b: [{ c: 7 }, { c: 8 }], d: '60s' }),
    ).toEqual([]);
  });

  it('reports int64 sent as a number, missing and extra fields', () => {
    expect(shapeDiff({ count: '1', x: 1 }, { count: 1, y: 2 })).toEqual([
      '$.count: expected int64-string, got number',
      '$.x: missing',
      '$.y: not in the sample',
    ]);
  });

  it('tells durations, timestamps and plain strings apart, and allows optional keys', () => {
    expect(shapeDiff({ t: '2026-01-01T00:00:00Z' }, { t: '-18000s' })).toEqual([
      '$.t: expected timestamp, got duration',
    ]);
    expect(shapeDiff({ a: 1 }, { a: 1, extra: true }, { optional: ['extra'] })).toEqual([]);
  });
});
