/**
 * One chunk of one Google Health data type: the requests, then the pure mappers.
 *
 *   fetchChunk(client, session, spec, { start, end }, zone) -> { measurements, fetched }
 *
 * Daily records and rollup windows carry a civil date and no offset: each is mapped with the
 * zone's offset on its own date, so a 30-day window that crosses a DST change gets both offsets.
 */
import type { Measurement } from '../../fhir/measurement.ts';
import { addDays, type DateRange, midnightIn, offsetOn } from '../../sync/plan.ts';
import {
  dateFilter,
  type GoogleHealthClient,
  type GoogleHealthSession,
  MAX_PAGE_SIZE,
  physicalFilter,
  SESSION_PAGE_SIZE,
} from './client.ts';
import {
  type DataPoint,
  type ListDataPointsResponse,
  mapDailyRollUp,
  mapDataPoints,
} from './mappers/index.ts';
import type { TypeSpec } from './sync-plan.ts';

export interface ChunkResult {
  measurements: Measurement[];
  /** Data points (or rollup windows with a value) the vendor returned. */
  fetched: number;
}

export async function fetchChunk(
  client: GoogleHealthClient,
  session: GoogleHealthSession,
  spec: TypeSpec,
  range: DateRange,
  zone: string,
): Promise<ChunkResult> {
  const endExclusive = addDays(range.end, 1);
  const fromIso = new Date(midnightIn(zone, range.start)).toISOString();
  const toIso = new Date(midnightIn(zone, endExclusive)).toISOString();

  switch (spec.kind) {
    case 'rollup': {
      const pages = await client.dailyRollUp(session, spec.dataType, {
        start: range.start,
        end: endExclusive,
      });
      const measurements: Measurement[] = [];
      for (const page of pages) {
        for (const w of page.rollupDataPoints ?? []) {
          const { year, month, day } = w.civilStartTime.date;
          const date = `${year}-${pad(month)}-${pad(day)}`;
          measurements.push(
            ...mapDailyRollUp({ rollupDataPoints: [w] }, { utcOffset: offsetOn(zone, date) }),
          );
        }
      }
      return { measurements, fetched: measurements.length };
    }
    case 'daily': {
      const pages = await client.list(session, spec.dataType, {
        filter: dateFilter(spec.filterName, range.start, endExclusive),
        pageSize: MAX_PAGE_SIZE,
      });
      const byDate = new Map<string, DataPoint[]>();
      for (const p of points(pages)) {
        const date = dailyDateOf(p);
        if (!date) continue;
        byDate.set(date, [...(byDate.get(date) ?? []), p]);
      }
      const measurements: Measurement[] = [];
      for (const [date, dataPoints] of byDate) {
        measurements.push(...mapDataPoints({ dataPoints }, { utcOffset: offsetOn(zone, date) }));
      }
      return { measurements, fetched: countPoints(pages) };
    }
    case 'samples': {
      // NOTE: whole local days, so each heart-rate hour is fetched complete: a window is replaced
      // as a whole on re-sync (docs/fhir.md, "Intraday heart rate").
      const pages = await client.list(session, spec.dataType, {
        filter: physicalFilter(spec.filterName, 'sample_time.physical_time', fromIso, toIso),
        pageSize: MAX_PAGE_SIZE,
      });
      return {
        measurements: mapDataPoints(pages, { utcOffset: offsetOn(zone, range.start) }),
        fetched: countPoints(pages),
      };
    }
    case 'sleep': {
      // NOTE: sleep filters on interval.end_time (start_time is rejected) and pages hold 25 (docs/google-health.md §3.4).
      const pages = await client.list(session, spec.dataType, {
        filter: physicalFilter(spec.filterName, 'interval.end_time', fromIso, toIso),
        pageSize: SESSION_PAGE_SIZE,
      });
      return {
        measurements: mapDataPoints(pages, { utcOffset: offsetOn(zone, range.start) }),
        fetched: countPoints(pages),
      };
    }
  }
}

function* points(pages: readonly ListDataPointsResponse[]): Generator<DataPoint> {
  for (const page of pages) yield* page.dataPoints ?? [];
}

function countPoints(pages: readonly ListDataPointsResponse[]): number {
  return pages.reduce((n, p) => n + (p.dataPoints?.length ?? 0), 0);
}

/** The civil date of a Daily record (its one union field holds `date`). */
function dailyDateOf(p: DataPoint): string | undefined {
  for (const value of Object.values(p)) {
    const date = (value as { date?: { year: number; month: number; day: number } } | undefined)?.date;
    if (date && typeof date === 'object' && 'year' in date)
      return `${date.year}-${pad(date.month)}-${pad(date.day)}`;
  }
  return undefined;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
