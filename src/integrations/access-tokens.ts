import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { insertEvents } from '../events/events.repository.ts';
import { integrationEvent } from '../events/integration-events.ts';
import { VendorHttpError } from '../http/outbound.ts';
import type { Log } from '../log.ts';
import * as notices from '../notices/notices.service.ts';
import { Secret } from '../vault/secret.ts';
import type { Vault, VaultTokens } from '../vault/vault.ts';
import { findVendor, type VendorRegistry } from '../vendors/registry.ts';
import { VendorGrantRevokedError } from '../vendors/types.ts';
import * as repo from './integrations.repository.ts';

// Access tokens for the sync engine. A refresh happens once per integration however many
// callers need it: an in-process promise map joins callers of this process, and a lease on the
// vault row (claimed in one short statement, ended by the token_version compare-and-swap that
// stores the new token) makes other processes wait for it. No database connection is held while
// the vendor's token endpoint answers: a slow endpoint cannot exhaust the pool. Plaintext stays
// inside `Secret`s.

/** Refresh this long before the vendor's expiry, so a token never dies mid-request. */
const EXPIRY_SKEW_MS = 5 * 60_000;
/**
 * The refresh lease: longer than a token request can take (3 attempts of 15 s, waits of up to
 * 30 s), so a live refresher keeps it; a crashed one's lapses and another process takes over.
 */
const REFRESH_LEASE_MS = 3 * 60_000;
/** A waiter gives up (a retryable VENDOR_UNAVAILABLE) after this long. */
const REFRESH_WAIT_MS = 2 * REFRESH_LEASE_MS;

export interface AccessToken {
  integrationId: string;
  accessToken: Secret;
  expiresAt: Date | null;
  /** Pass back as `rejectedVersion` when the vendor answers 401 with this token. */
  version: number;
}

export interface GetAccessTokenOptions {
  /** Refresh even if the stored token looks valid (the vendor answered 401). */
  forceRefresh?: boolean;
  /** With forceRefresh: the version that was rejected; a newer stored token is returned as is. */
  rejectedVersion?: number;
}

export interface AccessTokens {
  getAccessToken(integrationId: string, options?: GetAccessTokenOptions): Promise<AccessToken>;
  /** Runs `call` with a valid token; on a vendor 401 refreshes (single-flight) and runs it once more. */
  withAccessToken<T>(integrationId: string, call: (accessToken: string) => Promise<T>): Promise<T>;
  /** The grant is dead: tokens deleted, status `needs_reauth` (only from a live status). */
  markNeedsReauth(
    integrationId: string,
    options?: { reason?: string; expectedVersion?: number },
  ): Promise<void>;
}

export function createAccessTokens(deps: {
  db: Db;
  clock: Clock;
  log: Log;
  vault: Vault;
  vendors: VendorRegistry;
}): AccessTokens {
  const { db, clock, log, vault } = deps;
  const inflight = new Map<string, Promise<AccessToken>>();

  const isFresh = (t: VaultTokens) =>
    t.accessExpiresAt === null || t.accessExpiresAt.getTime() - EXPIRY_SKEW_MS > clock.now().getTime();

  const toAccessToken = (t: VaultTokens): AccessToken => ({
    integrationId: t.integrationId,
    accessToken: t.accessToken,
    expiresAt: t.accessExpiresAt,
    version: t.version,
  });

  async function notConnected(integrationId: string): Promise<never> {
    const integration = await repo.getIntegration(db, integrationId);
    if (integration?.status === 'needs_reauth') throw new VendorGrantRevokedError(integration.vendor);
    throw new AppError('VENDOR_NOT_CONNECTED', 'The integration holds no authorization');
  }

  /**
   * Refreshes under the row's lease: claim it (one statement), call the vendor with no connection
   * held, store with a compare-and-swap (which ends the lease). A process that finds the lease
   * taken polls for the token the holder stores, and takes over if the lease lapses.
   */
  async function refreshUnderLease(
    integrationId: string,
    options: GetAccessTokenOptions,
  ): Promise<AccessToken> {
    const deadline = performance.now() + REFRESH_WAIT_MS;
    // A version newer than this one will do (the rejected one; later, the one seen while waiting).
    let newerThan = options.forceRefresh ? options.rejectedVersion : undefined;
    for (let pause = 50; ; pause = Math.min(pause * 2, 1000)) {
      const current = await vault.readTokens(db, integrationId);
      if (!current) return notConnected(integrationId);
      const newer = newerThan !== undefined && current.version > newerThan;
      if (newer || (!options.forceRefresh && isFresh(current))) return toAccessToken(current);
      if (!current.refreshToken) return revoked(integrationId, current.version);
      const claim = await vault.claimRefresh(db, integrationId, current.version, REFRESH_LEASE_MS);
      if (claim) return refreshClaimed(current, claim);
      if (performance.now() > deadline)
        throw new AppError('VENDOR_UNAVAILABLE', 'Token refresh by another process did not finish');
      newerThan = Math.max(newerThan ?? 0, current.version);
      await sleep(pause * (0.75 + Math.random() * 0.5));
    }
  }

  async function refreshClaimed(current: VaultTokens, claim: string): Promise<AccessToken> {
    const { integrationId } = current;
    const refreshToken = current.refreshToken as Secret;
    const integration = await repo.getIntegration(db, integrationId);
    const adapter = integration && findVendor(deps.vendors, integration.vendor);
    let fresh: Awaited<ReturnType<NonNullable<typeof adapter>['oauth']['refresh']>>;
    try {
      if (!integration || !adapter) return await notConnected(integrationId);
      fresh = await adapter.oauth.refresh(refreshToken.reveal());
    } catch (err) {
      await vault.releaseRefresh(db, integrationId, claim);
      if (err instanceof VendorGrantRevokedError) return revoked(integrationId, current.version);
      throw err; // transient or unexpected: nothing written, the integration stays connected
    }
    const version = await db.transaction().execute(async (trx) => {
      const swapped = await vault.swapTokens(trx, integrationId, current.version, {
        accessToken: fresh.accessToken,
        // NOTE: Google refresh responses carry no refresh_token; the old one stays valid (docs/google-health.md §2).
        refreshToken: fresh.refreshToken ?? refreshToken.reveal(),
        accessExpiresAt: fresh.accessExpiresAt,
        refreshExpiresAt: fresh.refreshToken ? fresh.refreshExpiresAt : current.refreshExpiresAt,
      });
      if (swapped !== undefined && fresh.scopes) {
        await repo.updateIntegration(trx, integration.user_id, integrationId, {
          scopes: fresh.scopes,
          updated_at: clock.now(),
        });
      }
      return swapped;
    });
    if (version === undefined) {
      // Written meanwhile (a reconnect, or a refresh after this lease lapsed): use theirs.
      const again = await vault.readTokens(db, integrationId);
      if (again && again.version !== current.version && isFresh(again)) return toAccessToken(again);
      throw new AppError('CONFLICT', 'Token row changed during refresh');
    }
    log.info({ integrationId, vendor: integration.vendor, tokenVersion: version }, 'vendor token refreshed');
    return {
      integrationId,
      accessToken: new Secret(fresh.accessToken),
      expiresAt: fresh.accessExpiresAt,
      version,
    };
  }

  /** invalid_grant (or no refresh token): unless a new grant was stored meanwhile, the integration needs reauth. */
  async function revoked(integrationId: string, version: number): Promise<AccessToken> {
    const again = await vault.readTokens(db, integrationId);
    if (again && again.version !== version && isFresh(again)) return toAccessToken(again);
    await markNeedsReauth(integrationId, { reason: 'invalid_grant', expectedVersion: version });
    const integration = await repo.getIntegration(db, integrationId);
    throw new VendorGrantRevokedError(integration?.vendor ?? 'vendor');
  }

  function singleFlight(integrationId: string, options: GetAccessTokenOptions): Promise<AccessToken> {
    const running = inflight.get(integrationId);
    if (running) return running;
    const promise = refreshUnderLease(integrationId, options).finally(() => inflight.delete(integrationId));
    inflight.set(integrationId, promise);
    return promise;
  }

  async function markNeedsReauth(
    integrationId: string,
    options: { reason?: string; expectedVersion?: number } = {},
  ): Promise<void> {
    await db.transaction().execute(async (trx) => {
      let del = trx.deleteFrom('integration_tokens').where('integration_id', '=', integrationId);
      if (options.expectedVersion !== undefined)
        del = del.where('token_version', '=', options.expectedVersion);
      const deleted = await del.executeTakeFirst();
      if (options.expectedVersion !== undefined && deleted.numDeletedRows === 0n) return; // a newer grant won
      const row = await repo.setIntegrationStatus(trx, integrationId, 'needs_reauth', {
        errorCode: options.reason ?? 'VENDOR_AUTH_REVOKED',
        from: ['connected', 'provider_unavailable'],
        now: clock.now(),
      });
      if (!row) return;
      const reason = options.reason ?? 'VENDOR_AUTH_REVOKED';
      await insertEvents(
        trx,
        row.user_id,
        [integrationEvent('integration.needs_reauth', row, reason)],
        clock.now(),
      );
      await notices.onNeedsReauth(trx, row, reason, clock.now());
      log.warn(
        { integrationId, vendor: row.vendor, reason: options.reason },
        'integration needs reauthorization',
      );
    });
  }

  async function getAccessToken(
    integrationId: string,
    options: GetAccessTokenOptions = {},
  ): Promise<AccessToken> {
    if (!options.forceRefresh) {
      const current = await vault.readTokens(db, integrationId);
      if (!current) return notConnected(integrationId);
      if (isFresh(current)) return toAccessToken(current);
    }
    return singleFlight(integrationId, options);
  }

  return {
    getAccessToken,
    markNeedsReauth,
    async withAccessToken(integrationId, call) {
      const first = await getAccessToken(integrationId);
      try {
        return await call(first.accessToken.reveal());
      } catch (err) {
        if (!(err instanceof VendorHttpError) || err.vendorStatus !== 401) throw err;
        const second = await getAccessToken(integrationId, {
          forceRefresh: true,
          rejectedVersion: first.version,
        });
        // A 401 with a token the vendor just issued is not a revocation (that fails the refresh
        // with invalid_grant): it surfaces as the vendor error it is.
        return call(second.accessToken.reveal());
      }
    },
  };
}
