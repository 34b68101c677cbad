/**
 * PHR-App-only calls (principal first), over the sync engine and the integrations table.
 *
 *   triggerSync(principal, vendor)        -> { vendor, sync_job_id, sync_status, ... } (joins an open run)
 *   syncStatus(principal, { vendor? })    -> { user_id, vendors: [VendorSyncStatus] }
 *
 * NOTE: the engine's `requestSync` covers every connected vendor of the person (one open run per
 * person): the app's "sync this vendor" (`fitbit` or `withings`) also refreshes the others, which
 * costs one run, not one per vendor.
 */
import type { Principal } from '../auth/auth.service.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { type IntegrationRow, listIntegrations } from '../integrations/integrations.repository.ts';
import { openNoticesByIntegration } from '../notices/notices.repository.ts';
import type { SyncService } from '../sync/sync.service.ts';
import { findVendor, type VendorRegistry } from '../vendors/registry.ts';
import { latestRunItems } from './sync-status.repository.ts';
import { toVendorSyncStatus, type VendorSyncStatus } from './sync-status.view.ts';

export interface MobileServiceDeps {
  db: Db;
  vendors: VendorRegistry;
  sync: Pick<SyncService, 'requestSync'>;
}

export interface SyncTriggered {
  vendor: string;
  sync_job_id: string;
  sync_id: string;
  sync_status: 'queued' | 'running';
  status: 'queued' | 'running';
  message: string;
}

export interface SyncStatusResponse {
  user_id: number;
  vendors: VendorSyncStatus[];
}

const SYNCABLE = new Set(['connected', 'needs_reauth', 'provider_unavailable']);

export type MobileService = ReturnType<typeof createMobileService>;

export function createMobileService(deps: MobileServiceDeps) {
  const { db, vendors } = deps;

  /** Per vendor, the active integration, else the most recently created one. */
  async function integrationsByVendor(principal: Principal): Promise<Map<string, IntegrationRow>> {
    const rows = await listIntegrations(db, principal.userId);
    const out = new Map<string, IntegrationRow>();
    for (const row of rows) {
      if (!findVendor(vendors, row.vendor)) continue;
      const seen = out.get(row.vendor);
      const better =
        !seen ||
        (row.is_active && !seen.is_active) ||
        (row.is_active === seen.is_active && row.created_at > seen.created_at);
      if (better) out.set(row.vendor, row);
    }
    return out;
  }

  return {
    async triggerSync(principal: Principal, vendor: string): Promise<SyncTriggered> {
      const adapter = findVendor(vendors, vendor);
      if (!adapter) throw new AppError('UNKNOWN_VENDOR', `Unknown vendor: ${vendor}`);
      const row = (await integrationsByVendor(principal)).get(adapter.id);
      if (!row?.is_active) throw new AppError('NOT_FOUND', 'No active vendor integration found');
      if (!SYNCABLE.has(row.status)) {
        throw new AppError(
          'VENDOR_NOT_CONNECTED',
          `${adapter.displayName} is not connected yet: authorize it first`,
        );
      }
      const { sync_id, status } = await deps.sync.requestSync(principal);
      return {
        vendor: adapter.id,
        sync_job_id: sync_id,
        sync_id,
        sync_status: status,
        status,
        message: status === 'queued' ? 'Sync queued' : 'Sync running',
      };
    },

    async syncStatus(
      principal: Principal,
      query: { vendor?: string | undefined },
    ): Promise<SyncStatusResponse> {
      const byVendor = await integrationsByVendor(principal);
      const rows = [...byVendor.values()].filter(
        (r) => query.vendor === undefined || r.vendor === query.vendor,
      );
      const latest = await latestRunItems(
        db,
        principal.userId,
        rows.map((r) => r.id),
      );
      // Active first, then by vendor id: the app takes the `fitbit` entry, else the first.
      rows.sort((a, b) => Number(b.is_active) - Number(a.is_active) || a.vendor.localeCompare(b.vendor));
      const notices = await openNoticesByIntegration(db, principal.userId);
      return {
        user_id: principal.userId,
        vendors: rows.map((r) => toVendorSyncStatus(r, latest.get(r.id), notices.get(r.id))),
      };
    },
  };
}
