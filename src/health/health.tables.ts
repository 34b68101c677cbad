import type { ColumnType } from 'kysely';

/**
 * A person's source priorities (PUT /health/sources, migration 0015): per measurement type, or per
 * group of types (`scope` = `group:<name>`), the sources in the order the summary prefers them.
 */
export interface SourcePrioritiesTable {
  user_id: number;
  /** A measurement type (`steps`) or a group of types (`group:body`). */
  scope: string;
  sources: ColumnType<string[], string[], string[]>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

export interface HealthTables {
  source_priorities: SourcePrioritiesTable;
}
