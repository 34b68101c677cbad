import type { MeasurementType } from '../fhir/measurement.ts';
import { FITBIT_MOVED_CODE, FITBIT_MOVED_MESSAGE } from '../notices/notices.service.ts';
import { consentCoverage, type VendorAdapter } from '../vendors/types.ts';
import type { IntegrationRow } from './integrations.repository.ts';
import type { IntegrationStatus } from './integrations.tables.ts';

// Rows -> the JSON shapes of docs/api.md (snake_case, RFC 3339).

export interface VendorIntegrationInfo {
  id: string;
  vendor: string;
  display_name: string;
  status: IntegrationStatus;
  is_active: boolean;
  created_at: string;
  connected_at: string | null;
  last_sync_at: string | null;
  last_sync_status: string | null;
  next_sync_at: string | null;
  vendor_user_id: string | null;
  legacy_vendor_user_id: string | null;
  scopes: string[];
  missing_scopes: string[];
  skipped_types: MeasurementType[];
}

export interface IntegrationStatusView {
  vendor: string;
  connected: boolean;
  /** PHR-App reads `connected` or `is_connected`. */
  is_connected: boolean;
  status: IntegrationStatus | null;
  vendor_user_id: string | null;
  scopes: string[];
  missing_scopes: string[];
  skipped_types: MeasurementType[];
  last_sync_at: string | null;
  last_sync_status: string | null;
  next_sync_at: string | null;
  message: string;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function coverage(adapter: VendorAdapter, row: IntegrationRow) {
  // Before the first consent nothing is missing yet; afterwards report what was refused.
  if (row.connected_at === null) return { missingScopes: [], skippedTypes: [] as MeasurementType[] };
  return consentCoverage(adapter, row.scopes);
}

export function toIntegrationInfo(adapter: VendorAdapter, row: IntegrationRow): VendorIntegrationInfo {
  const { missingScopes, skippedTypes } = coverage(adapter, row);
  return {
    id: row.id,
    vendor: row.vendor,
    display_name: adapter.displayName,
    status: row.status,
    is_active: row.is_active,
    created_at: row.created_at.toISOString(),
    connected_at: iso(row.connected_at),
    last_sync_at: iso(row.last_sync_at),
    last_sync_status: row.last_sync_status,
    next_sync_at: iso(row.next_sync_at),
    vendor_user_id: row.vendor_user_id,
    legacy_vendor_user_id: row.legacy_vendor_user_id,
    scopes: row.scopes,
    missing_scopes: missingScopes,
    skipped_types: skippedTypes,
  };
}

const MESSAGES: Record<IntegrationStatus, string> = {
  pending_authorization: 'Waiting for authorization',
  connected: 'Connected',
  needs_reauth: 'Authorization expired or was revoked: connect again',
  inactive: 'Disconnected',
  provider_unavailable: 'Connected; the provider is temporarily unavailable',
};

export function toStatusView(adapter: VendorAdapter, row: IntegrationRow | undefined): IntegrationStatusView {
  const connected = row?.status === 'connected' || row?.status === 'provider_unavailable';
  const { missingScopes, skippedTypes } = row
    ? coverage(adapter, row)
    : { missingScopes: [], skippedTypes: [] };
  return {
    vendor: adapter.id,
    connected,
    is_connected: connected,
    status: row?.status ?? null,
    vendor_user_id: row?.vendor_user_id ?? null,
    scopes: row?.scopes ?? [],
    missing_scopes: missingScopes,
    skipped_types: skippedTypes,
    last_sync_at: iso(row?.last_sync_at ?? null),
    last_sync_status: row?.last_sync_status ?? null,
    next_sync_at: iso(row?.next_sync_at ?? null),
    message: row ? messageOf(row) : 'Not connected',
  };
}

/** An integration imported from the original backend says why it needs a reconnect. */
function messageOf(row: IntegrationRow): string {
  if (row.status === 'needs_reauth' && row.last_error_code === FITBIT_MOVED_CODE) return FITBIT_MOVED_MESSAGE;
  return MESSAGES[row.status];
}
