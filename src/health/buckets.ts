/**
 * Local calendar buckets: a bucket's bounds are local midnights in the person's time zone, so a
 * day with a DST change is 23 or 25 hours long.
 *
 *   bucketBounds('2026-03-29', 'day', 'Europe/Berlin')
 *     -> { date: '2026-03-29', start: '2026-03-29T00:00:00+01:00', end: '2026-03-30T00:00:00+02:00' }
 */
import { zoneOffsetAt } from '../fhir/store/fhir-dates.ts';
import { formatOffset, toLocalIso } from '../fhir/time.ts';
import type { Bucket } from './health.repository.ts';

export function bucketBounds(
  date: string,
  bucket: Bucket,
  zone: string,
): { date: string; start: string; end: string } {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const next =
    bucket === 'day'
      ? Date.UTC(y, m - 1, d + 1)
      : bucket === 'week'
        ? Date.UTC(y, m - 1, d + 7)
        : Date.UTC(y, m, 1);
  return { date, start: localMidnight(Date.UTC(y, m - 1, d), zone), end: localMidnight(next, zone) };
}

/** `wallMs`: a local midnight written as if it were UTC. */
function localMidnight(wallMs: number, zone: string): string {
  const offset = zoneOffsetAt(zone, wallMs);
  return toLocalIso(wallMs - offset * 60_000, formatOffset(offset));
}
