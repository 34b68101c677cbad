import type { ColumnType, Generated } from 'kysely';

/** One row per audited read or change. Ids and counts only: never values, tokens or secrets. */
export interface AuditEventsTable {
  id: Generated<number>;
  /** Whose data was read or changed; null only on an erasure's anonymized record. */
  user_id: number | null;
  /** Who did it (today always the person themself; kept apart for support/admin access later). */
  actor_user_id: number | null;
  action: string;
  resource_type: string | null;
  resource_ids: ColumnType<string[], string[] | undefined, string[]>;
  /** For list reads and exports: how many items were returned. */
  item_count: number | null;
  /** Non-identifying context (filters, counts); never values. */
  detail: ColumnType<unknown, string | null | undefined, string | null>;
  at: ColumnType<Date, Date | string, Date | string>;
  request_id: string | null;
  ip: string | null;
}

export interface AuditTables {
  audit_events: AuditEventsTable;
}
