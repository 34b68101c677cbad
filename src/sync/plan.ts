/**
 * Local dates to read, for any vendor. Pure: no I/O, no clock.
 *
 *   planDates({ today, cursor, ... })     -> { start, end } local dates (inclusive), for date cursors
 *   chunksOf({ start, end }, days)        -> oldest-first ranges of at most `days` dates
 *   addDays(date, n), midnightIn(zone, date), offsetOn(zone, date)   (zone lookups: src/fhir/zones.ts)
 */
import { formatOffset } from '../fhir/time.ts';
import { zoneOffsetAt } from '../fhir/zones.ts';
import type { DateRange, StreamPlan, StreamPlanInput } from '../vendors/sync.types.ts';

export type { DateRange } from '../vendors/sync.types.ts';

/** A date cursor's plan (the last complete local date stored): backfill, else resume behind it. */
export function planDates(input: StreamPlanInput): StreamPlan | undefined {
  const { today } = input;
  if (input.target) {
    const end = input.target.end < today ? input.target.end : today;
    return input.target.start <= end ? { start: input.target.start, end } : undefined;
  }
  const backfillStart = addDays(today, -input.backfillDays);
  if (!input.cursor) return { start: backfillStart, end: today };
  const resume = addDays(input.cursor, 1 - input.overlapDays);
  // NOTE: never more than a year back, whatever an old cursor says.
  const floor = addDays(today, -365);
  const start = resume > today ? addDays(today, -input.overlapDays) : resume < floor ? floor : resume;
  return { start, end: today };
}

export function chunksOf(range: DateRange, days: number): DateRange[] {
  const out: DateRange[] = [];
  for (let start = range.start; start <= range.end; start = addDays(start, days)) {
    const end = addDays(start, days - 1);
    out.push({ start, end: end < range.end ? end : range.end });
  }
  return out;
}

export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** The instant a local date starts in `zone`. */
export function midnightIn(zone: string, date: string): number {
  const wall = Date.parse(`${date}T00:00:00Z`);
  return wall - zoneOffsetAt(zone, wall) * 60_000;
}

/** The zone's UTC offset at the start of a local date, '+05:30'. */
export function offsetOn(zone: string, date: string): string {
  return formatOffset(zoneOffsetAt(zone, Date.parse(`${date}T00:00:00Z`)));
}
