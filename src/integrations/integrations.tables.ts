import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type TimestampOrNull = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export const INTEGRATION_STATUSES = [
  'pending_authorization',
  'connected',
  'needs_reauth',
  'inactive',
  'provider_unavailable',
] as const;
export type IntegrationStatus = (typeof INTEGRATION_STATUSES)[number];

/** One row per (user, vendor); deactivating keeps the row so reactivation and synced data survive. */
export interface IntegrationsTable {
  id: string;
  user_id: number;
  vendor: string;
  status: IntegrationStatus;
  is_active: boolean;
  /** The vendor's stable user id (Google Health: healthUserId); routes webhooks. */
  vendor_user_id: string | null;
  /** Google Health: the legacy Fitbit encoded id from users/me/identity, when the user had one. */
  legacy_vendor_user_id: string | null;
  /** The legacy Fitbit user id whose history was imported from the original backend (migration 0019). */
  imported_legacy_user_id: string | null;
  /** Scopes the user actually granted (partial consent is normal). */
  scopes: ColumnType<string[], string[] | undefined, string[]>;
  last_error_code: string | null;
  connected_at: TimestampOrNull;
  last_sync_at: TimestampOrNull;
  last_sync_status: string | null;
  next_sync_at: TimestampOrNull;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

/** The vault's rows: only envelopes (src/vault/envelope.ts), never plaintext. */
export interface IntegrationTokensTable {
  integration_id: string;
  user_id: number;
  key_id: string;
  access_token: string;
  refresh_token: string | null;
  access_expires_at: TimestampOrNull;
  refresh_expires_at: TimestampOrNull;
  /** Bumped on every write; refreshes compare-and-swap on it. */
  token_version: number;
  updated_at: Timestamp;
  /** The lease of the process refreshing this token (an opaque id), and when it lapses. */
  refresh_claim: string | null;
  refresh_claimed_until: TimestampOrNull;
}

/** Pending OAuth authorizations. Only the SHA-256 of `state` is stored; the PKCE verifier is sealed. */
export interface OAuthStatesTable {
  state_hash: string;
  user_id: number;
  vendor: string;
  integration_id: string;
  code_verifier: string;
  redirect_uri: string;
  requested_scopes: ColumnType<string[], string[] | undefined, string[]>;
  /** SHA-256 of the browser binding cookie's value; null on states issued before 0012 (never match). */
  browser_binding_hash: string | null;
  expires_at: Timestamp;
  used_at: TimestampOrNull;
  created_at: Generated<Date>;
}

export interface IntegrationTables {
  integrations: IntegrationsTable;
  integration_tokens: IntegrationTokensTable;
  oauth_states: OAuthStatesTable;
}
