import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type TimestampOrNull = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** jsonb: written as JSON text, read back parsed. */
type Json<T> = ColumnType<T, string | undefined, string>;

export interface SyncError {
  code: string;
  message: string;
}

/** One cursor per integration and data type (our measurement type). */
export interface SyncCursorsTable {
  integration_id: string;
  data_type: string;
  through_date: string;
  updated_at: Timestamp;
}

export interface SyncRunsTable {
  id: string;
  user_id: number;
  reason: string;
  created_at: Timestamp;
}

export interface SyncRunItemsTable {
  run_id: string;
  integration_id: string;
  vendor: string;
  job_id: string | null;
  status: string;
  window_start: string | null;
  window_end: string | null;
  plan: ColumnType<unknown, string | null | undefined, string | null>;
  requests: ColumnType<number, number | undefined, number>;
  fetched: ColumnType<number, number | undefined, number>;
  created: ColumnType<number, number | undefined, number>;
  updated: ColumnType<number, number | undefined, number>;
  unchanged: ColumnType<number, number | undefined, number>;
  errors: Json<SyncError[]>;
  started_at: TimestampOrNull;
  finished_at: TimestampOrNull;
}

export interface SyncTables {
  sync_cursors: SyncCursorsTable;
  sync_runs: SyncRunsTable;
  sync_run_items: SyncRunItemsTable;
}
