import type * as oauth from 'oauth4webapi';
import type { Config } from '../../config.ts';
import { AppError } from '../../errors.ts';
import { isRetryableVendorError, type OutboundHttp } from '../../http/outbound.ts';
import { RateBudgetExhausted } from '../../sync/rate-budget.ts';
import { validatedCallback } from '../oauth-callback.ts';
import {
  type AuthorizationRequest,
  type OAuthTokenSet,
  VendorAuthorizationError,
  VendorGrantRevokedError,
  type VendorOAuth,
} from '../types.ts';
import { callWithings, type WithingsCallDeps } from './envelope.ts';
import { WITHINGS_VENDOR, WithingsApiError } from './errors.ts';
import { withingsSignature } from './signature.ts';

// Withings OAuth 2.0: the authorize URL, then the token service `POST /v2/oauth2
// action=requesttoken` (an envelope, not a plain OAuth token answer) for the code and for
// refreshes, and `action=revoke`, which names the user and is signed with a one-time nonce.
// oauth4webapi checks the redirect (state, error); the envelope calls go through the outbound
// wrapper. Every refresh rotates the refresh token: the caller must store the new one.

export type WithingsOAuthSettings = Pick<
  Config['withings'],
  'clientId' | 'clientSecret' | 'redirectUri' | 'authorizeUrl' | 'apiUrl'
>;

const VENDOR = WITHINGS_VENDOR;
const OAUTH_PATH = '/v2/oauth2';
const SIGNATURE_PATH = '/v2/signature';

/** The token service's answer (`body` of the envelope); `userid` is a number or a string. */
interface TokenBody {
  userid?: unknown;
  access_token?: unknown;
  refresh_token?: unknown;
  expires_in?: unknown;
  scope?: unknown;
}

export function createWithingsOAuth(
  settings: WithingsOAuthSettings,
  http: OutboundHttp,
  now: () => Date,
  /** The application-wide request budget (budget.ts): token requests count too. */
  spend?: WithingsCallDeps['spend'],
): VendorOAuth {
  const deps: WithingsCallDeps = { http, apiUrl: settings.apiUrl, now, spend };
  // oauth4webapi validates the redirect against these; Withings sends no `iss`.
  const as: oauth.AuthorizationServer = {
    issuer: new URL(settings.authorizeUrl).origin,
    authorization_endpoint: settings.authorizeUrl,
  };

  function credentials(): { clientId: string; clientSecret: string } {
    if (!settings.clientId || !settings.clientSecret) {
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'Withings is not configured (WITHINGS_CLIENT_ID, WITHINGS_CLIENT_SECRET)',
      );
    }
    return { clientId: settings.clientId, clientSecret: settings.clientSecret };
  }

  function toTokenSet(body: TokenBody): OAuthTokenSet | undefined {
    const { access_token: accessToken, refresh_token: refreshToken, expires_in: expiresIn } = body;
    if (typeof accessToken !== 'string' || accessToken === '') return undefined;
    if (typeof refreshToken !== 'string' || refreshToken === '') return undefined;
    const vendorUserId = toUserId(body.userid);
    return {
      accessToken,
      refreshToken,
      accessExpiresAt:
        typeof expiresIn === 'number' && expiresIn > 0 ? new Date(now().getTime() + expiresIn * 1000) : null,
      // NOTE: a refresh token lives a year, but the answer does not say so (docs/withings.md "Connecting").
      refreshExpiresAt: null,
      // NOTE: Withings separates scopes with commas, not spaces (docs/withings.md "Connecting").
      scopes: typeof body.scope === 'string' ? body.scope.split(/[\s,]+/).filter(Boolean) : null,
      ...(vendorUserId ? { vendorUserId } : {}),
    };
  }

  /** A one-time nonce for a signed request (valid 30 minutes, good for one use). */
  async function nonce(clientId: string, clientSecret: string): Promise<string> {
    const timestamp = Math.floor(now().getTime() / 1000);
    const body = await callWithings<{ nonce?: unknown }>(deps, {
      path: SIGNATURE_PATH,
      action: 'getnonce',
      params: {
        client_id: clientId,
        timestamp,
        signature: withingsSignature(clientSecret, { action: 'getnonce', client_id: clientId, timestamp }),
      },
      retries: 1,
    });
    if (typeof body.nonce !== 'string' || body.nonce === '') {
      throw new WithingsApiError(
        null,
        'bad_response',
        undefined,
        'withings getnonce answered without a nonce',
      );
    }
    return body.nonce;
  }

  return {
    redirectUri: settings.redirectUri,

    // NOTE: Withings documents no PKCE: the challenge is not sent; state and the browser binding protect the flow (docs/withings.md "Connecting").
    authorizationUrl(request: AuthorizationRequest): URL {
      const { clientId } = credentials();
      const url = new URL(settings.authorizeUrl);
      const params = url.searchParams;
      params.set('response_type', 'code');
      params.set('client_id', clientId);
      params.set('state', request.state);
      params.set('scope', request.scopes.join(','));
      params.set('redirect_uri', settings.redirectUri);
      return url;
    },

    async exchangeCode(callback, expected) {
      const { clientId, clientSecret } = credentials();
      const params = validatedCallback(VENDOR, as, { client_id: clientId }, callback, expected.state);
      const code = params.get('code') ?? '';
      if (!code)
        throw new VendorAuthorizationError(VENDOR, 'INVALID_RESPONSE', 'Authorization response has no code');
      let body: TokenBody;
      try {
        body = await callWithings<TokenBody>(deps, {
          path: OAUTH_PATH,
          action: 'requesttoken',
          params: {
            grant_type: 'authorization_code',
            client_id: clientId,
            client_secret: clientSecret,
            code,
            redirect_uri: settings.redirectUri,
          },
          // A code is single-use (and valid 30 s): never replay the exchange.
          retries: 0,
        });
      } catch (err) {
        if (isRetryableVendorError(err)) throw err;
        if (err instanceof RateBudgetExhausted)
          throw new AppError('VENDOR_RATE_LIMITED', 'Withings request budget exhausted', { cause: err });
        // NOTE: an expired or reused code answers 503 "invalid code" (docs/withings.md "Errors").
        if (err instanceof WithingsApiError && /invalid code/i.test(err.withingsError ?? '')) {
          throw new VendorAuthorizationError(
            VENDOR,
            'INVALID_CODE',
            'Code exchange failed: invalid code',
            err,
          );
        }
        const status = err instanceof WithingsApiError ? `status ${err.withingsStatus}` : 'no token';
        throw new VendorAuthorizationError(VENDOR, 'EXCHANGE_FAILED', `Code exchange failed: ${status}`, err);
      }
      const tokens = toTokenSet(body);
      if (!tokens?.vendorUserId) {
        throw new VendorAuthorizationError(VENDOR, 'INVALID_RESPONSE', 'Token answer is not valid');
      }
      return tokens;
    },

    async refresh(refreshToken) {
      const { clientId, clientSecret } = credentials();
      let body: TokenBody;
      try {
        body = await callWithings<TokenBody>(deps, {
          path: OAUTH_PATH,
          action: 'requesttoken',
          params: {
            grant_type: 'refresh_token',
            client_id: clientId,
            client_secret: clientSecret,
            refresh_token: refreshToken,
          },
          // NOTE: the same requesttoken twice within 10 s answers 601; a lost answer is retried by the caller later (docs/withings.md "Connecting").
          retries: 0,
        });
      } catch (err) {
        // NOTE: a dead, reused or revoked refresh token answers 503 "invalid refresh_token", not 401 (docs/withings.md "Errors").
        if (err instanceof WithingsApiError && /invalid refresh_token/i.test(err.withingsError ?? '')) {
          throw new VendorGrantRevokedError(VENDOR);
        }
        throw err;
      }
      const tokens = toTokenSet(body);
      // The old refresh token dies once the new access token is used: an answer without a new one is unusable.
      if (!tokens)
        throw new WithingsApiError(null, 'bad_response', undefined, 'withings token answer without tokens');
      return tokens;
    },

    // NOTE: revoke names the user, not a token, and is signed with a fresh nonce (docs/withings.md "Connecting").
    async revoke(_token, account) {
      const { clientId, clientSecret } = credentials();
      const userId = account?.vendorUserId;
      if (!userId) throw new AppError('VENDOR_ERROR', 'Withings revokes by user id; none is known');
      const once = await nonce(clientId, clientSecret);
      await callWithings(deps, {
        path: OAUTH_PATH,
        action: 'revoke',
        params: {
          client_id: clientId,
          nonce: once,
          signature: withingsSignature(clientSecret, { action: 'revoke', client_id: clientId, nonce: once }),
          userid: userId,
        },
        // A nonce is single-use.
        retries: 0,
      });
    },
  };
}

/** NOTE: `userid` is an integer in the spec and a string in other Withings texts; kept as a string (docs/withings.md "Connecting"). */
function toUserId(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return String(value);
  if (typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value)) return value;
  return undefined;
}
