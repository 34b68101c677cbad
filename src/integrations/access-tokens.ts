import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { VendorHttpError } from '../http/outbound.ts';
import type { Log } from '../log.ts';
import type { Secret } from '../vault/secret.ts';
import type { Vault, VaultTokens } from '../vault/vault.ts';
import { findVendor, type VendorRegistry } from '../vendors/registry.ts';
import { VendorGrantRevokedError } from '../vendors/types.ts';
import * as repo from './integrations.repository.ts';

// Access tokens for the sync engine. A refresh happens once per integration however many
// callers need it: an in-process promise map joins callers of this process, and a row lock
// (`select ... for update` on the vault row) plus a token_version compare-and-swap
// serializes processes. Plaintext stays inside `Secret`s.

/** Refresh this long before the vendor's expiry, so a token never dies mid-request. */
const EXPIRY_SKEW_MS = 5 * 60_000;

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

type Outcome =
  | { kind: 'token'; token: VaultTokens }
  | { kind: 'missing' }
  | { kind: 'revoked'; version: number };

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

  async function refreshUnderLock(
    integrationId: string,
    options: GetAccessTokenOptions,
  ): Promise<AccessToken> {
    const outcome = await db.transaction().execute(async (trx): Promise<Outcome> => {
      const current = await vault.readTokens(trx, integrationId, { forUpdate: true });
      if (!current) return { kind: 'missing' };
      const newer = options.rejectedVersion !== undefined && current.version > options.rejectedVersion;
      if (options.forceRefresh ? newer : isFresh(current)) return { kind: 'token', token: current };
      if (!current.refreshToken) return { kind: 'revoked', version: current.version };

      const integration = await repo.getIntegration(trx, integrationId);
      const adapter = integration && findVendor(deps.vendors, integration.vendor);
      if (!integration || !adapter) return { kind: 'missing' };
      let fresh: Awaited<ReturnType<typeof adapter.oauth.refresh>>;
      try {
        fresh = await adapter.oauth.refresh(current.refreshToken.reveal());
      } catch (err) {
        if (err instanceof VendorGrantRevokedError) return { kind: 'revoked', version: current.version };
        throw err; // transient or unexpected: nothing written, the integration stays connected
      }
      const version = await vault.swapTokens(trx, integrationId, current.version, {
        accessToken: fresh.accessToken,
        // NOTE: Google refresh responses carry no refresh_token; the old one stays valid (docs/google-health.md §2).
        refreshToken: fresh.refreshToken ?? current.refreshToken.reveal(),
        accessExpiresAt: fresh.accessExpiresAt,
        refreshExpiresAt: fresh.refreshToken ? fresh.refreshExpiresAt : current.refreshExpiresAt,
      });
      if (version === undefined) throw new AppError('CONFLICT', 'Token row changed during refresh');
      if (fresh.scopes) {
        await repo.updateIntegration(trx, integration.user_id, integrationId, {
          scopes: fresh.scopes,
          updated_at: clock.now(),
        });
      }
      log.info(
        { integrationId, vendor: integration.vendor, tokenVersion: version },
        'vendor token refreshed',
      );
      const stored = await vault.readTokens(trx, integrationId);
      return stored ? { kind: 'token', token: stored } : { kind: 'missing' };
    });

    if (outcome.kind === 'token') return toAccessToken(outcome.token);
    if (outcome.kind === 'missing') return notConnected(integrationId);
    // invalid_grant: another worker may have stored a new grant meanwhile; look again first.
    const again = await vault.readTokens(db, integrationId);
    if (again && again.version !== outcome.version && isFresh(again)) return toAccessToken(again);
    await markNeedsReauth(integrationId, { reason: 'invalid_grant', expectedVersion: outcome.version });
    const integration = await repo.getIntegration(db, integrationId);
    throw new VendorGrantRevokedError(integration?.vendor ?? 'vendor');
  }

  function singleFlight(integrationId: string, options: GetAccessTokenOptions): Promise<AccessToken> {
    const running = inflight.get(integrationId);
    if (running) return running;
    const promise = refreshUnderLock(integrationId, options).finally(() => inflight.delete(integrationId));
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
      if (row)
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
