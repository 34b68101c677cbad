import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type TimestampOrNull = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export const IMPORT_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** An uploaded export and what its job did (migration 0018). */
export interface ImportsTable {
  id: string;
  user_id: number;
  kind: string;
  status: ImportStatus;
  progress: Generated<number>;
  bytes: Generated<number>;
  records_read: Generated<number>;
  created: Generated<number>;
  updated: Generated<number>;
  unchanged: Generated<number>;
  /** JSON object text: reason -> count. */
  skipped: Generated<string>;
  /** JSON object text: measurement type -> records mapped. */
  by_type: Generated<string>;
  error: string | null;
  /** sha256 of the upload; once read: `<sha256>:<zone>:<mapping version>`. */
  file_key: string | null;
  /** The person's apple_health Observations right after this import succeeded. */
  source_count: number | null;
  created_at: Timestamp;
  started_at: TimestampOrNull;
  finished_at: TimestampOrNull;
}

/** The Observations an import created: what undoing it deletes. */
export interface ImportResourcesTable {
  import_id: string;
  resource_id: string;
  type: string | null;
}

export interface ImportTables {
  imports: ImportsTable;
  import_resources: ImportResourcesTable;
}
