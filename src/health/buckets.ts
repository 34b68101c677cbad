/**
 * Local calendar buckets: a bucket's bounds are local midnights in the person's time zone, so a
 * day with a DST change is 23 or 25 hours long.
 *
 *   bucketBounder('Europe/Berlin')('2026-03-29', 'day')
 *     -> { date: '2026-03-29', start: '2026-03-29T00:00:00+01:00', end: '2026-03-30T00:00:00+02:00' }
 *
 * Bounds are facts of the time-zone rules, the same for every person in a zone: they are remembered
 * across requests (bounded), so a year of daily buckets costs 366 map lookups, not 366 Intl calls.
 */
import { formatOffset, offsetMinutes, toLocalIso } from '../fhir/time.ts';
import { offsetAt } from '../fhir/zones.ts';
import type { Bucket } from './summary.repository.ts';

export type BucketBounds = Readonly<{ date: string; start: string; end: string }>;

// Remembered because formatting the bounds was a large share of the server's time for a year of
// daily buckets (bench/api/README.md). Per zone and bucket size, keyed by the bucket's first date.
const MAX_ZONES = 500;
const MAX_PER_ZONE = 20_000;
const remembered = new Map<string, Map<string, BucketBounds>>();

export function bucketBounder(zone: string): (date: string, bucket: Bucket) => BucketBounds {
  const fixed = zone === 'UTC' ? 0 : offsetMinutes(zone);
  const midnight = (wallMs: number): string =>
    // A fixed offset has no DST gap: local midnight is the date at that offset. A zone with
    // rules goes through the instant, so a midnight that does not exist (a gap) reads 01:00.
    fixed !== undefined
      ? `${new Date(wallMs).toISOString().slice(0, 10)}T00:00:00${formatOffset(fixed)}`
      : localMidnight(wallMs, zone);
  const compute = (date: string, bucket: Bucket): BucketBounds => {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    const next =
      bucket === 'day'
        ? Date.UTC(y, m - 1, d + 1)
        : bucket === 'week'
          ? Date.UTC(y, m - 1, d + 7)
          : Date.UTC(y, m, 1);
    return Object.freeze({ date, start: midnight(Date.UTC(y, m - 1, d)), end: midnight(next) });
  };
  const memoOf = (bucket: Bucket): Map<string, BucketBounds> => {
    const key = `${zone} ${bucket}`;
    let memo = remembered.get(key);
    if (!memo) {
      if (remembered.size >= MAX_ZONES * 3) remembered.clear();
      memo = new Map();
      remembered.set(key, memo);
    }
    return memo;
  };
  let last: { bucket: Bucket; memo: Map<string, BucketBounds> } | undefined;
  return (date, bucket) => {
    if (last?.bucket !== bucket) last = { bucket, memo: memoOf(bucket) };
    let bounds = last.memo.get(date);
    if (!bounds) {
      bounds = compute(date, bucket);
      if (last.memo.size >= MAX_PER_ZONE) last.memo.clear();
      last.memo.set(date, bounds);
    }
    return bounds;
  };
}

/**
 * `wallMs`: a local midnight written as if it were UTC. The day starts at the earliest instant whose
 * local time is that midnight; when the clocks skip it (Santiago springs forward at 00:00), at the
 * instant of the jump, which reads 01:00 in the new offset.
 */
function localMidnight(wallMs: number, zone: string): string {
  const before = offsetAt(zone, wallMs - DAY_MS);
  const after = offsetAt(zone, wallMs + DAY_MS);
  const candidates = [...new Set([before, after])].map((o) => wallMs - o * 60_000).sort((a, b) => a - b);
  const start = candidates.find((t) => t + offsetAt(zone, t) * 60_000 === wallMs) ?? wallMs - before * 60_000;
  return toLocalIso(start, formatOffset(offsetAt(zone, start)));
}

const DAY_MS = 86_400_000;
