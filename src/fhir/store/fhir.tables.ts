import type { ColumnType, Generated } from 'kysely';

// The embedded FHIR store: one row per resource (Observation, Patient, Device), the resource JSON
// (as text) beside the columns searches filter and sort on. `resource` is stored without meta.versionId and
// meta.lastUpdated: those live in columns and are put back on read.
type Instant = ColumnType<Date, Date | string, Date | string>;

export interface FhirResourcesTable {
  resource_type: string;
  id: string;
  /** Owner; every query filters on it. */
  user_id: number;
  /** First identifier as `system|value`; unique per (user, resource type). */
  identifier: string | null;
  /** Our measurement type (heart_rate, steps, ...), for the health API. */
  type: string | null;
  /** Primary coding (code.coding[0]): bare code and its system. */
  code: string | null;
  code_system: string | null;
  /** First category coding: bare code. */
  category: string | null;
  /** effective[x] as a half-open range [start, end) by its precision; points are [t, t + precision). */
  effective_start: Instant | null;
  effective_end: Instant | null;
  /** The measurement's local calendar date, 'YYYY-MM-DD'. */
  local_date: string | null;
  status: string | null;
  source_vendor: string | null;
  /**
   * valueQuantity.value (a blood-pressure panel: its systolic component): what summaries aggregate,
   * unless the row holds samples (below).
   */
  value: number | null;
  /**
   * A window of samples (intraday heart rate): their count, min, max and sum, which summaries
   * aggregate instead of `value` (the window's mean); null for every other row (migration 0011).
   */
  sample_count: number | null;
  sample_min: number | null;
  sample_max: number | null;
  sample_sum: number | null;
  /** A date-only effectiveDateTime (a daily total): matched by local date, not by instant. */
  daily: Generated<boolean>;
  version_id: number;
  last_updated: Instant;
  /** sha256 of the resource JSON without meta.versionId / meta.lastUpdated. */
  content_hash: string;
  /** The JSON text as written (not jsonb: bench/fhir/README.md). */
  resource: string;
}

export interface FhirOutboxTable {
  id: Generated<number>;
  user_id: number;
  resource_type: string;
  resource_id: string;
  /** `system|value`, kept so a deletion can be mirrored after the row is gone. */
  identifier: string | null;
  action: 'put' | 'delete';
  /** Bumped each time a newer change is folded into this pending row. */
  seq: number;
  enqueued_at: Instant;
  attempts: number;
  next_attempt_at: Instant;
  last_error: string | null;
  /** Set when the server refused the change on every attempt: a dead letter, no longer pushed. */
  dead_at: Instant | null;
}

/**
 * Per (user, type, local date, source): the aggregates of that day's Observations from that source,
 * kept by triggers on fhir_resources (migrations 0007, 0015). What the health summary reads.
 */
export interface ObservationDaysTable {
  user_id: number;
  type: string;
  local_date: string;
  /** The rows' `source_vendor`; '' for rows without a source tag (migration 0015). */
  source: string;
  /** Observations that day (with or without a value). */
  n_rows: number;
  /** Values: one per Observation with a valueQuantity.value, one per sample of a window (0011). */
  n_values: number;
  min: number | null;
  max: number | null;
  sum: number | null;
}

export interface FhirTables {
  fhir_resources: FhirResourcesTable;
  observation_days: ObservationDaysTable;
  fhir_outbox: FhirOutboxTable;
}
