import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type TimestampOrNull = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** The events outbox (migration 0016): one row per event, written with the change it describes. */
export interface EventsTable {
  id: string;
  /** bigint: the drivers read it as a string or a bigint; the repository turns it into a number. */
  seq: ColumnType<string | number | bigint, never, never>;
  user_id: number | null;
  type: string;
  occurred_at: Timestamp;
  /** json (migration 0022): written as JSON text, read back parsed by both drivers. */
  payload: ColumnType<unknown, string, string>;
  dispatched_at: TimestampOrNull;
}

/** A person's webhook endpoint (migration 0016); `secret` is a vault envelope, never returned. */
export interface WebhookEndpointsTable {
  id: string;
  /** null: the deployment's endpoint (EVENTS_WEBHOOK_URL), which takes every user's events. */
  user_id: number | null;
  url: string;
  /** The event types it receives; null for all of them. */
  events: string[] | null;
  description: string | null;
  secret: string;
  /** After a rotation: the old secret (a vault envelope), which still signs until previous_secret_until. */
  previous_secret: ColumnType<string | null, string | null | undefined, string | null>;
  previous_secret_until: TimestampOrNull;
  status: ColumnType<'enabled' | 'disabled', 'enabled' | 'disabled' | undefined, 'enabled' | 'disabled'>;
  disabled_at: TimestampOrNull;
  failing_since: TimestampOrNull;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** One event for one endpoint (migration 0016). */
export interface WebhookDeliveriesTable {
  endpoint_id: string;
  event_id: string;
  status: DeliveryStatus;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: TimestampOrNull;
  last_attempt_at: TimestampOrNull;
  created_at: Timestamp;
}

/** One POST to an endpoint: what came back (never the response body). */
export interface WebhookAttemptsTable {
  id: ColumnType<string | number | bigint, never, never>;
  endpoint_id: string;
  event_id: string;
  attempted_at: Timestamp;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  ok: boolean;
}

export interface EventTables {
  events: EventsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}
