/**
 * Keyset pagination under concurrent writes: rows inserted while a client pages (newer, older and
 * at the same instant as rows already seen) never make it miss or repeat a pre-existing row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';
import { heartRateHour, steps, stepsDays, storeMeasurements, weight } from '../helpers/observations.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

describe('pagination integrity', () => {
  // Unfiltered (one scan) and several types (one scan per type, merged).
  for (const [sort, types] of [
    ['-date', ''],
    ['date', ''],
    ['-date', '&type=steps,body_weight,heart_rate'],
    ['date', '&type=heart_rate,body_weight,steps'],
  ] as const) {
    it(`sees every pre-existing row exactly once while rows arrive (sort=${sort}${types})`, {
      timeout: 60_000,
    }, async () => {
      const u = await registerUser(t.app);
      // 120 days of steps plus same-instant rows (weights at midnight) to exercise the id tiebreak.
      const existing = await storeMeasurements(t, u.id, [
        ...stepsDays('2025-06-01', 120),
        ...Array.from({ length: 20 }, (_, i) =>
          weight(`2025-06-${String(1 + i).padStart(2, '0')}T00:00:00+00:00`, 60 + i),
        ),
      ]);
      const expected = new Set(existing.map((o) => o.id!));
      const seen: string[] = [];
      let cursor: string | null = null;
      let page = 0;
      do {
        const url: string = `/health/observations?sort=${sort}${types}&limit=7${cursor ? `&cursor=${cursor}` : ''}`;
        const res = await t.app.inject({ url, headers: u.auth });
        expect(res.statusCode).toBe(200);
        const body = res.json() as { items: { id: string }[]; next_cursor: string | null };
        seen.push(...body.items.map((i) => i.id));
        cursor = body.next_cursor;
        // Writes between pages: newer, older and in the middle of what is being paged.
        page += 1;
        await storeMeasurements(t, u.id, [
          steps(`2027-01-${String((page % 28) + 1).padStart(2, '0')}`, page),
          steps(`2024-01-${String((page % 28) + 1).padStart(2, '0')}`, page),
          heartRateHour(`2025-07-${String((page % 28) + 1).padStart(2, '0')}T0${page % 10}:00:00+00:00`, 60),
          weight(`2025-06-${String((page % 20) + 1).padStart(2, '0')}T00:00:00+00:00`, 100 + page),
        ]);
      } while (cursor);
      const preExisting = seen.filter((id) => expected.has(id));
      expect(preExisting).toHaveLength(expected.size);
      expect(new Set(preExisting).size).toBe(expected.size);
      expect(new Set(seen).size).toBe(seen.length);
    });
  }
});
