import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type TimestampOrNull = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export const NOTICE_KINDS = [
  'integration.needs_reauth',
  'sync.failing',
  'integration.legacy_mismatch',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/** A notice for the person about a connection that stopped working (migration 0017). */
export interface NoticesTable {
  id: string;
  user_id: number;
  kind: NoticeKind;
  integration_id: string;
  vendor: string;
  code: string;
  message: string;
  created_at: Timestamp;
  dismissed_at: TimestampOrNull;
  resolved_at: TimestampOrNull;
}

export interface NoticeTables {
  notices: NoticesTable;
}
