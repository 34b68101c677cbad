import { describe, expect, it } from 'vitest';
import { mapInSlices } from '../src/event-loop.ts';

describe('mapInSlices', () => {
  it('maps in order and lets the event loop run between slices', async () => {
    const seen: string[] = [];
    setImmediate(() => seen.push('other work'));
    const out = await mapInSlices(
      [1, 2, 3, 4, 5],
      (n) => {
        seen.push(`item ${n}`);
        return n * 10;
      },
      2,
    );
    expect(out).toEqual([10, 20, 30, 40, 50]);
    // The slice [1, 2] runs at once; the callback queued before the call runs before item 3.
    expect(seen.indexOf('other work')).toBe(2);
  });

  it('maps an empty list', async () => {
    expect(await mapInSlices([], () => 1)).toEqual([]);
  });
});
