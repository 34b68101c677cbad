/**
 * The event catalogue (docs/events.md): every event type and its payload. Payloads are thin: ids,
 * counts and time ranges, never health values, tokens or secrets; a consumer reads the data itself
 * through the authenticated, audited API.
 */

/** `observations.created|updated|deleted`: one sync chunk's (or write's) changes, ≤ 1,000 ids each. */
export interface ObservationsChanged {
  user_id: number;
  /** The vendor the records came from (`fitbit`, `withings`, ...). */
  source: string;
  /** How many ids this event carries (a change of more than 1,000 records is split into events). */
  count: number;
  /** Our measurement types among them (`steps`, `heart_rate`, ...), sorted. */
  types: string[];
  /** The earliest and latest effective time among them (ISO 8601), null when none is known. */
  start: string | null;
  end: string | null;
  /** FHIR Observation ids. */
  ids: string[];
}

/** `integration.connected|needs_reauth|disconnected`. */
export interface IntegrationChanged {
  user_id: number;
  vendor: string;
  integration_id: string;
  status: string;
  /** Why (`vendor_401`, `invalid_grant`, `user`), null for a connection. */
  reason: string | null;
}

/** `sync.completed|failed`: one integration's sync run ended. */
export interface SyncFinished {
  user_id: number;
  sync_id: string;
  vendor: string;
  status: string;
  created: number;
  updated: number;
  unchanged: number;
  /** Stable error codes (docs/sync.md), empty when none. */
  errors: string[];
}

/** `account.deleted`: the account was erased; nothing else about it is sent afterwards. */
export interface AccountDeleted {
  user_id: number;
}

/** `endpoint.disabled`: one of the owner's webhook endpoints failed for too long and was disabled. */
export interface EndpointDisabled {
  user_id: number;
  endpoint_id: string;
  reason: string;
}

export interface EventPayloads {
  'observations.created': ObservationsChanged;
  'observations.updated': ObservationsChanged;
  'observations.deleted': ObservationsChanged;
  'integration.connected': IntegrationChanged;
  'integration.needs_reauth': IntegrationChanged;
  'integration.disconnected': IntegrationChanged;
  'sync.completed': SyncFinished;
  'sync.failed': SyncFinished;
  'account.deleted': AccountDeleted;
  'endpoint.disabled': EndpointDisabled;
}

export type EventType = keyof EventPayloads;

export const EVENT_TYPES = [
  'observations.created',
  'observations.updated',
  'observations.deleted',
  'integration.connected',
  'integration.needs_reauth',
  'integration.disconnected',
  'sync.completed',
  'sync.failed',
  'account.deleted',
  'endpoint.disabled',
] as const satisfies readonly EventType[];

/** An event about to be written: its type and payload (the id and time are given on insert). */
export type NewEvent = { [K in EventType]: { type: K; payload: EventPayloads[K] } }[EventType];

/** A stored event, as the delivery sends it (`{type, timestamp, data}`). */
export interface StoredEvent {
  id: string;
  seq: number;
  user_id: number | null;
  type: EventType;
  occurred_at: Date;
  payload: EventPayloads[EventType];
}

/** Most ids one `observations.*` event carries (docs/events.md §1). */
export const IDS_PER_EVENT = 1_000;
