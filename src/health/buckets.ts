/**
 * Local calendar buckets: a bucket's bounds are local midnights in the person's time zone, so a
 * day with a DST change is 23 or 25 hours long.
 *
 *   bucketBounder('Europe/Berlin')('2026-03-29', 'day')
 *     -> { date: '2026-03-29', start: '2026-03-29T00:00:00+01:00', end: '2026-03-30T00:00:00+02:00' }
 *
 * A bounder remembers the midnights it formatted (a day's end is the next day's start).
 */
import { offsetMinutes } from '../fhir/store/fhir-dates.ts';
import { formatOffset, toLocalIso } from '../fhir/time.ts';
import type { Bucket } from './health.repository.ts';

export type BucketBounds = { date: string; start: string; end: string };

export function bucketBounder(zone: string): (date: string, bucket: Bucket) => BucketBounds {
  const memo = new Map<number, string>();
  const fixed = zone === 'UTC' ? 0 : offsetMinutes(zone);
  const midnight = (wallMs: number): string => {
    let text = memo.get(wallMs);
    if (text === undefined) {
      // A fixed offset has no DST gap: local midnight is the date at that offset. A zone with
      // rules goes through the instant, so a midnight that does not exist (a gap) reads 01:00.
      text =
        fixed !== undefined
          ? `${new Date(wallMs).toISOString().slice(0, 10)}T00:00:00${formatOffset(fixed)}`
          : localMidnight(wallMs, zone);
      memo.set(wallMs, text);
    }
    return text;
  };
  return (date, bucket) => {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    const next =
      bucket === 'day'
        ? Date.UTC(y, m - 1, d + 1)
        : bucket === 'week'
          ? Date.UTC(y, m - 1, d + 7)
          : Date.UTC(y, m, 1);
    return { date, start: midnight(Date.UTC(y, m - 1, d)), end: midnight(next) };
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
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes east of UTC in `zone` at the instant `ms`. */
function offsetAt(zone: string, ms: number): number {
  let fmt = formatters.get(zone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    formatters.set(zone, fmt);
  }
  const name = fmt.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
  if (!m) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return m[1] === '-' ? -minutes : minutes;
}
