/**
 * One source per local day, then buckets (docs/sources.md), pure: what the summary does with the
 * per-day, per-source aggregates it reads (src/health/summary.repository.ts).
 *
 *   summarizeDays(days, ['withings', 'fitbit'], 'week')
 *     -> [{ bucket: '2026-04-06', count, min, max, avg, sum, sources: [{ source: 'withings', days: 5 }, ...] }]
 *
 * On each day the source counted is, of those with data that day, the first in `order`; sources the
 * order does not name come after it, by name, and rows without a source tag ('') last. A source
 * whose rows that day carry no value is taken only when no other has one.
 */
import type { Bucket } from './summary.repository.ts';

/** One source's aggregate of one local day: date, source ('' untagged), values, min, max, sum. */
export type SourceDay = [
  date: string,
  source: string,
  values: number,
  min: number | null,
  max: number | null,
  sum: number | null,
];

export interface BucketRow {
  /** The bucket's first local date. */
  bucket: string;
  count: number;
  min: number | null;
  max: number | null;
  avg: number | null;
  sum: number | null;
  /** The sources chosen on the bucket's days, most days first (ties: the better source). null: untagged. */
  sources: { source: string | null; days: number }[];
}

/** `days` in date order (any source order within a date). */
export function summarizeDays(
  days: readonly SourceDay[],
  order: readonly string[],
  bucket: Bucket,
): BucketRow[] {
  const position = new Map(order.map((s, i) => [s, i]));
  const rank = (source: string) => position.get(source) ?? order.length + (source === '' ? 1 : 0);
  const better = (a: SourceDay, b: SourceDay): boolean => {
    if (a[2] > 0 !== b[2] > 0) return a[2] > 0;
    const ra = rank(a[1]);
    const rb = rank(b[1]);
    return ra !== rb ? ra < rb : a[1] < b[1];
  };

  const out: BucketRow[] = [];
  let current: { row: BucketRow; sources: Map<string, number> } | undefined;
  const close = () => {
    if (!current) return;
    const { row, sources } = current;
    row.avg = row.sum === null || row.count === 0 ? null : row.sum / row.count;
    row.sources = [...sources]
      .sort(([a, da], [b, db]) => db - da || rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
      .map(([source, n]) => ({ source: source === '' ? null : source, days: n }));
    out.push(row);
  };
  const add = (day: SourceDay) => {
    const key = bucketOf(day[0], bucket);
    if (current?.row.bucket !== key) {
      close();
      const row = { bucket: key, count: 0, min: null, max: null, avg: null, sum: null, sources: [] };
      current = { row, sources: new Map() };
    }
    const { row, sources } = current;
    const [, source, values, min, max, sum] = day;
    row.count += values;
    if (min !== null) row.min = row.min === null ? min : Math.min(row.min, min);
    if (max !== null) row.max = row.max === null ? max : Math.max(row.max, max);
    if (sum !== null) row.sum = row.sum === null ? sum : row.sum + sum;
    sources.set(source, (sources.get(source) ?? 0) + 1);
  };

  let best: SourceDay | undefined;
  for (const day of days) {
    if (best && best[0] !== day[0]) {
      add(best);
      best = undefined;
    }
    if (!best || better(day, best)) best = day;
  }
  if (best) add(best);
  close();
  return out;
}

/** The first local date of the day, ISO week (Monday) or month holding `date` ('YYYY-MM-DD'). */
export function bucketOf(date: string, bucket: Bucket): string {
  if (bucket === 'day') return date;
  if (bucket === 'month') return `${date.slice(0, 8)}01`;
  const ms = Date.parse(`${date}T00:00:00Z`);
  const sinceMonday = (new Date(ms).getUTCDay() + 6) % 7;
  return new Date(ms - sinceMonday * 86_400_000).toISOString().slice(0, 10);
}
