import type { Principal } from '../auth/auth.service.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError, notFound } from '../errors.ts';
import { insertEvents } from '../events/events.repository.ts';
import { integrationEvent } from '../events/integration-events.ts';
import type { LiveEvents } from '../events/stream-hub.ts';
import type { Log } from '../log.ts';
import * as notices from '../notices/notices.service.ts';
import type { Vault } from '../vault/vault.ts';
import { findVendor, type VendorRegistry } from '../vendors/registry.ts';
import type { VendorAdapter } from '../vendors/types.ts';
import * as repo from './integrations.repository.ts';
import {
  type IntegrationStatusView,
  toIntegrationInfo,
  toStatusView,
  type VendorIntegrationInfo,
} from './integrations.views.ts';

export interface IntegrationsServiceDeps {
  db: Db;
  clock: Clock;
  log: Log;
  vault: Vault;
  vendors: VendorRegistry;
  /** Woken after an event commits (the live event stream, docs/events.md §7). */
  live?: LiveEvents | undefined;
}

export type IntegrationsService = ReturnType<typeof createIntegrationsService>;

export function createIntegrationsService(deps: IntegrationsServiceDeps) {
  const { db, clock, log, vault, vendors } = deps;

  function adapterFor(vendor: string, unknown: 'UNKNOWN_VENDOR' | 'NOT_FOUND'): VendorAdapter {
    const adapter = findVendor(vendors, vendor);
    if (adapter) return adapter;
    if (unknown === 'NOT_FOUND') throw notFound('Vendor');
    throw new AppError('UNKNOWN_VENDOR', `Unknown vendor: ${vendor}`, {
      errors: [{ field: 'vendor', message: `must be one of ${Object.keys(vendors).join(', ')}` }],
    });
  }

  function info(row: repo.IntegrationRow): VendorIntegrationInfo {
    return toIntegrationInfo(adapterFor(row.vendor, 'NOT_FOUND'), row);
  }

  /**
   * Revokes the grant at the vendor (best effort) and deletes the stored tokens. A vendor
   * failure is logged without the token and never blocks the disconnect.
   */
  async function revokeAndForget(userId: number, row: repo.IntegrationRow): Promise<boolean> {
    let revoked = false;
    try {
      const tokens = await vault.readTokens(db, row.id);
      const token = tokens?.refreshToken ?? tokens?.accessToken;
      const adapter = adapterFor(row.vendor, 'NOT_FOUND');
      if (tokens?.accessToken && adapter.subscriptions) {
        await adapter.subscriptions.unsubscribe(tokens.accessToken.reveal(), row.scopes).catch(() => {
          log.warn({ integrationId: row.id, vendor: row.vendor }, 'notification unsubscribe failed');
        });
      }
      if (token) {
        // NOTE: revoking a Google refresh token revokes the whole grant, access tokens included (Google OAuth web-server guide).
        await adapterFor(row.vendor, 'NOT_FOUND').oauth.revoke(token.reveal(), {
          vendorUserId: row.vendor_user_id,
        });
        revoked = true;
      }
    } catch (err) {
      const code = err instanceof AppError ? err.code : 'UNKNOWN';
      log.warn(
        { integrationId: row.id, vendor: row.vendor, code },
        'vendor revoke failed; tokens deleted anyway',
      );
    }
    await vault.deleteTokens(db, userId, row.id);
    return revoked;
  }

  async function deactivate(userId: number, row: repo.IntegrationRow): Promise<repo.IntegrationRow> {
    await revokeAndForget(userId, row);
    const now = clock.now();
    const updated = await db.transaction().execute(async (trx) => {
      const done = await repo.updateIntegration(trx, userId, row.id, {
        status: 'inactive',
        is_active: false,
        next_sync_at: null,
        last_error_code: null,
        updated_at: now,
      });
      if (done) {
        await insertEvents(trx, userId, [integrationEvent('integration.disconnected', done, 'user')], now);
        await notices.onConnectionChanged(trx, done.id, now);
      }
      return done;
    });
    if (updated) deps.live?.wake(userId);
    log.info({ integrationId: row.id, vendor: row.vendor }, 'integration deactivated');
    return updated ?? row;
  }

  return {
    availableVendors() {
      return Object.values(vendors).map((v) => ({
        vendor: v.id,
        display_name: v.displayName,
        data_types: v.dataTypes.map((d) => d.type),
        status: 'available' as const,
      }));
    },

    /** Creates the integration (created: true) or reactivates / returns the existing one. */
    async selectVendor(
      principal: Principal,
      vendor: string,
    ): Promise<{ created: boolean; integration: VendorIntegrationInfo }> {
      const adapter = adapterFor(vendor, 'UNKNOWN_VENDOR');
      const { row, created } = await repo.ensureActiveIntegration(
        db,
        principal.userId,
        adapter.id,
        clock.now(),
      );
      return { created, integration: toIntegrationInfo(adapter, row) };
    },

    async listIntegrations(principal: Principal, options: { activeOnly?: boolean } = {}) {
      const rows = await repo.listIntegrations(db, principal.userId, options);
      return rows.filter((r) => findVendor(vendors, r.vendor)).map(info);
    },

    async getIntegration(principal: Principal, id: string): Promise<VendorIntegrationInfo> {
      const row = await repo.findIntegration(db, principal.userId, id);
      if (!row) throw notFound('Integration');
      return info(row);
    },

    async deactivateIntegration(principal: Principal, id: string): Promise<void> {
      const row = await repo.findIntegration(db, principal.userId, id);
      if (!row) throw notFound('Integration');
      await deactivate(principal.userId, row);
    },

    /** PHR-App alias: idempotent; a vendor with no integration is already disconnected. */
    async disconnectVendor(principal: Principal, vendor: string): Promise<IntegrationStatusView> {
      const adapter = adapterFor(vendor, 'UNKNOWN_VENDOR');
      const row = await repo.findIntegrationByVendor(db, principal.userId, adapter.id);
      if (!row) return toStatusView(adapter, undefined);
      return toStatusView(adapter, row.is_active ? await deactivate(principal.userId, row) : row);
    },

    async status(principal: Principal, vendor: string): Promise<IntegrationStatusView> {
      const adapter = adapterFor(vendor, 'NOT_FOUND');
      return toStatusView(adapter, await repo.findIntegrationByVendor(db, principal.userId, adapter.id));
    },

    /** Account erasure: revoke every grant the user holds and delete the tokens. */
    async revokeAllForUser(userId: number): Promise<{ integrations: number; revoked: number }> {
      const rows = await repo.listIntegrations(db, userId);
      let revoked = 0;
      for (const row of rows) if (await revokeAndForget(userId, row)) revoked += 1;
      return { integrations: rows.length, revoked };
    },
  };
}
