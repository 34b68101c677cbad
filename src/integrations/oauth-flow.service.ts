import { createHash, timingSafeEqual } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import type { Principal } from '../auth/auth.service.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError, notFound } from '../errors.ts';
import { insertEvents } from '../events/events.repository.ts';
import { integrationEvent } from '../events/integration-events.ts';
import type { Log } from '../log.ts';
import * as notices from '../notices/notices.service.ts';
import { oauthStateContext, type Vault } from '../vault/vault.ts';
import { findVendor, type VendorRegistry } from '../vendors/registry.ts';
import {
  consentCoverage,
  type OAuthTokenSet,
  type VendorAdapter,
  VendorAuthorizationError,
} from '../vendors/types.ts';
import * as repo from './integrations.repository.ts';
import * as states from './oauth-states.repository.ts';

// The OAuth connect flow: `authorize` (a user asks) and `callback` (the vendor answers).
// The state is 256 random bits, single-use, 10 minutes, stored only as its SHA-256 together
// with the sealed PKCE verifier, the user and vendor that asked, and the hash of the browser
// binding (a random value the route keeps in an HttpOnly cookie). The callback links the grant
// to that user and no one else, and only in the browser that started the flow, so a consent
// link sent to someone else cannot link their vendor account to the sender (RFC 9700 §4.7.1).

export const STATE_TTL_MS = 10 * 60_000;
/** Used and expired states are kept a day, so a replay is told apart from a forgery in logs. */
const STATE_RETENTION_MS = 24 * 3600_000;

export interface AuthorizationStart {
  authorization_url: string;
  state: string;
  expires_at: string;
}

/** What the route hands the browser: the start, and the binding value for its cookie. */
export interface BoundAuthorizationStart {
  start: AuthorizationStart;
  browserBinding: string;
}

export type CallbackResult =
  | { ok: true; vendor: string; skippedTypes: string[] }
  | { ok: false; vendor: string; code: CallbackErrorCode };

export type CallbackErrorCode =
  | 'ACCESS_DENIED'
  | 'INVALID_STATE'
  | 'STATE_EXPIRED'
  | 'BROWSER_MISMATCH'
  | 'VENDOR_ACCOUNT_LINKED_ELSEWHERE'
  | 'EXCHANGE_FAILED'
  | 'NO_SCOPES_GRANTED'
  | 'IDENTITY_FAILED'
  | 'VENDOR_UNAVAILABLE'
  | 'UNKNOWN_VENDOR'
  | 'INTERNAL';

class CallbackFailure extends Error {
  readonly code: CallbackErrorCode;
  constructor(code: CallbackErrorCode, detail: string) {
    super(detail);
    this.code = code;
  }
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');
const hashState = sha256;

/** True when one of the browser's binding values hashes to the one stored with the state. */
function bindsBrowser(storedHash: string | null, browserBindings: readonly string[]): boolean {
  if (!storedHash) return false;
  const stored = Buffer.from(storedHash);
  return browserBindings.some((value) => {
    const sent = Buffer.from(sha256(value));
    return sent.length === stored.length && timingSafeEqual(sent, stored);
  });
}

export type OAuthFlowService = ReturnType<typeof createOAuthFlowService>;

export function createOAuthFlowService(deps: {
  db: Db;
  clock: Clock;
  log: Log;
  vault: Vault;
  vendors: VendorRegistry;
  /** Called after a successful connect (the sync engine enqueues the backfill); its errors are logged. */
  onConnected?: (connected: { integrationId: string; userId: number }) => Promise<void>;
}) {
  const { db, clock, log, vault, vendors } = deps;

  async function holdsRefreshToken(integrationId: string): Promise<boolean> {
    const row = await db
      .selectFrom('integration_tokens')
      .select('integration_id')
      .where('integration_id', '=', integrationId)
      .where('refresh_token', 'is not', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  async function takeState(
    vendor: string,
    state: string | undefined,
    browserBindings: readonly string[],
  ): Promise<states.OAuthStateRow> {
    if (!state || state.length > 512) throw new CallbackFailure('INVALID_STATE', 'missing state');
    const hash = hashState(state);
    const now = clock.now();
    const row = await states.consumeOAuthState(db, hash, now);
    if (!row) {
      const known = await states.findOAuthState(db, hash);
      throw new CallbackFailure('INVALID_STATE', known ? 'state already used' : 'unknown state');
    }
    // The state is spent either way: a link that reached the wrong browser cannot be tried again
    // elsewhere, and its code is never redeemed. The starting browser can always begin anew.
    if (!bindsBrowser(row.browser_binding_hash, browserBindings))
      throw new CallbackFailure(
        'BROWSER_MISMATCH',
        'callback arrived in a browser that did not start the flow',
      );
    if (row.vendor !== vendor) throw new CallbackFailure('INVALID_STATE', 'state issued for another vendor');
    if (row.expires_at.getTime() <= now.getTime())
      throw new CallbackFailure('STATE_EXPIRED', 'state expired');
    return row;
  }

  async function exchange(adapter: VendorAdapter, params: URLSearchParams, state: string, verifier: string) {
    try {
      return await adapter.oauth.exchangeCode(params, { state, codeVerifier: verifier });
    } catch (err) {
      if (err instanceof VendorAuthorizationError) {
        throw new CallbackFailure(
          err.reason === 'ACCESS_DENIED' ? 'ACCESS_DENIED' : 'EXCHANGE_FAILED',
          err.message,
        );
      }
      if (
        err instanceof AppError &&
        (err.code === 'VENDOR_UNAVAILABLE' || err.code === 'VENDOR_RATE_LIMITED')
      ) {
        throw new CallbackFailure('VENDOR_UNAVAILABLE', err.message);
      }
      throw err;
    }
  }

  async function discard(adapter: VendorAdapter, tokens: OAuthTokenSet): Promise<void> {
    try {
      await adapter.oauth.revoke(tokens.refreshToken ?? tokens.accessToken, {
        vendorUserId: tokens.vendorUserId ?? null,
      });
    } catch (err) {
      log.warn({ vendor: adapter.id, code: err instanceof AppError ? err.code : 'UNKNOWN' }, 'revoke failed');
    }
  }

  async function store(row: states.OAuthStateRow, adapter: VendorAdapter, tokens: OAuthTokenSet) {
    const scopes = tokens.scopes ?? row.requested_scopes;
    if (consentCoverage(adapter, scopes).types.length === 0) {
      await discard(adapter, tokens);
      throw new CallbackFailure('NO_SCOPES_GRANTED', 'no data type scope was granted');
    }
    let account: Awaited<ReturnType<VendorAdapter['fetchAccount']>>;
    try {
      account = await adapter.fetchAccount(tokens);
    } catch (err) {
      await discard(adapter, tokens);
      const code = err instanceof AppError ? err.code : 'UNKNOWN';
      throw new CallbackFailure('IDENTITY_FAILED', `identity lookup failed (${code})`);
    }
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      // One vendor account feeds one local account: its data must not flow to two people. The lock
      // makes two callbacks for the same vendor account check and link one after the other.
      await repo.lockVendorAccount(trx, adapter.id, account.vendorUserId);
      if (await repo.isVendorAccountLinkedElsewhere(trx, row.user_id, adapter.id, account.vendorUserId)) {
        // NOTE: no revoke: Google has one grant per account and client, so revoking these tokens would
        // also cut off the account that holds the link. They are dropped unstored.
        throw new CallbackFailure('VENDOR_ACCOUNT_LINKED_ELSEWHERE', 'vendor account linked to another user');
      }
      // Locks the vault row like a refresh does, so a concurrent refresh cannot overwrite the new grant.
      const previous = await vault
        .readTokens(trx, row.integration_id, { forUpdate: true })
        .catch(() => undefined);
      await vault.saveTokens(
        trx,
        { userId: row.user_id, integrationId: row.integration_id },
        {
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken ?? previous?.refreshToken?.reveal() ?? null,
          accessExpiresAt: tokens.accessExpiresAt,
          refreshExpiresAt: tokens.refreshToken
            ? tokens.refreshExpiresAt
            : (previous?.refreshExpiresAt ?? null),
        },
      );
      const connected = await repo.updateIntegration(trx, row.user_id, row.integration_id, {
        status: 'connected',
        is_active: true,
        vendor_user_id: account.vendorUserId,
        legacy_vendor_user_id: account.legacyVendorUserId,
        scopes,
        connected_at: now,
        next_sync_at: now,
        last_error_code: null,
        updated_at: now,
      });
      if (connected) {
        await insertEvents(
          trx,
          row.user_id,
          [integrationEvent('integration.connected', connected, null)],
          now,
        );
        await notices.onConnectionChanged(trx, connected.id, now);
        // An imported Fitbit history is one record with the new data only for the same legacy account.
        const imported = connected.imported_legacy_user_id;
        if (imported !== null && imported !== account.legacyVendorUserId) {
          await notices.onLegacyMismatch(trx, connected, now);
        }
      }
    });
    if (adapter.subscriptions) {
      await adapter.subscriptions.subscribe(tokens.accessToken, scopes).catch((err: unknown) => {
        const code = err instanceof AppError ? err.code : 'UNKNOWN';
        log.warn({ vendor: adapter.id, code }, 'notification subscribe failed; polling only');
      });
    }
    return consentCoverage(adapter, scopes).skippedTypes;
  }

  return {
    /**
     * `browserBinding`: the value the browser already holds, reused so that parallel flows in one
     * browser all stay valid; a fresh one is made when it holds none.
     */
    async authorize(
      principal: Principal,
      vendor: string,
      options: { loginHint?: string | undefined; browserBinding?: string | undefined } = {},
    ): Promise<BoundAuthorizationStart> {
      const adapter = findVendor(vendors, vendor);
      if (!adapter) throw notFound('Vendor');
      const { row: integration } = await repo.ensureActiveIntegration(
        db,
        principal.userId,
        adapter.id,
        clock.now(),
      );
      const state = oauth.generateRandomState();
      const browserBinding = options.browserBinding ?? oauth.generateRandomState();
      const verifier = oauth.generateRandomCodeVerifier();
      const stateHash = hashState(state);
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + STATE_TTL_MS);
      const scopes = [
        ...new Set([...adapter.dataTypes.map((d) => d.scope), ...(adapter.accountScopes ?? [])]),
      ];
      const url = adapter.oauth.authorizationUrl({
        state,
        codeChallenge: await oauth.calculatePKCECodeChallenge(verifier),
        scopes,
        forceConsent: !(await holdsRefreshToken(integration.id)),
        loginHint: options.loginHint,
      });
      await states.purgeOAuthStates(db, new Date(now.getTime() - STATE_RETENTION_MS));
      await states.insertOAuthState(db, principal.userId, {
        stateHash,
        vendor: adapter.id,
        integrationId: integration.id,
        codeVerifier: vault.seal(verifier, oauthStateContext(stateHash)),
        redirectUri: adapter.oauth.redirectUri,
        requestedScopes: scopes,
        browserBindingHash: sha256(browserBinding),
        expiresAt,
        now,
      });
      return {
        start: { authorization_url: url.toString(), state, expires_at: expiresAt.toISOString() },
        browserBinding,
      };
    },

    /**
     * Never throws: every outcome becomes a result the route turns into a redirect.
     * `browserBindings`: the binding cookie values the browser sent (usually one).
     */
    async callback(
      vendor: string,
      params: URLSearchParams,
      browserBindings: readonly string[],
    ): Promise<CallbackResult> {
      const adapter = findVendor(vendors, vendor);
      if (!adapter) return { ok: false, vendor, code: 'UNKNOWN_VENDOR' };
      try {
        const state = params.get('state') ?? undefined;
        const row = await takeState(adapter.id, state, browserBindings);
        const integration = await repo.findIntegration(db, row.user_id, row.integration_id);
        if (!integration) throw new CallbackFailure('INVALID_STATE', 'integration no longer exists');
        const verifier = vault.open(row.code_verifier, oauthStateContext(row.state_hash));
        const tokens = await exchange(adapter, params, state as string, verifier.reveal());
        const skippedTypes = await store(row, adapter, tokens);
        log.info(
          { integrationId: row.integration_id, vendor: adapter.id, skippedTypes },
          'integration connected',
        );
        // The scheduler would pick it up too (next_sync_at = now); this starts the backfill at once.
        await deps
          .onConnected?.({ integrationId: row.integration_id, userId: row.user_id })
          .catch((err: unknown) => {
            log.warn({ integrationId: row.integration_id, err }, 'enqueueing the first sync failed');
          });
        return { ok: true, vendor: adapter.id, skippedTypes };
      } catch (err) {
        if (err instanceof CallbackFailure) {
          log.info({ vendor: adapter.id, code: err.code, reason: err.message }, 'oauth callback rejected');
          return { ok: false, vendor: adapter.id, code: err.code };
        }
        log.error({ vendor: adapter.id, err }, 'oauth callback failed');
        return { ok: false, vendor: adapter.id, code: 'INTERNAL' };
      }
    },
  };
}
