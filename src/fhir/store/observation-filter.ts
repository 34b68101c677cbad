/**
 * What a read of a person's Observations asks the store for: types, sources, a range of bounds,
 * a sort and a keyset (the health API parses them from its query: src/health/health.query-parser.ts).
 */
import type { MeasurementType } from '../measurement.ts';

export type ObservationSort = 'date' | '-date';

export interface Bound {
  /** The instant the bound stands for. */
  instant: Date;
  /** Set when the bound was a bare date: daily totals match it by their local date. */
  date?: string;
}

export interface ObservationRange {
  from?: Bound;
  to?: Bound;
}

export interface ObservationFilter extends ObservationRange {
  types?: MeasurementType[];
  sources?: string[];
}

export interface ObservationKeyset {
  /** effective_start as epoch microseconds (exact, unlike a JS Date). */
  startMicros: string;
  id: string;
}

/** An Observation row's id and content hash: what a rendered-item cache keys on. */
export interface ObservationKey {
  id: string;
  content_hash: string;
}
