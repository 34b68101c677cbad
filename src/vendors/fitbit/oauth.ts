import * as oauth from 'oauth4webapi';
import type { Config } from '../../config.ts';
import { AppError } from '../../errors.ts';
import {
  isLoopbackUrl,
  isRetryableVendorError,
  type OutboundHttp,
  parseRetryAfter,
  VendorHttpError,
  VendorRateLimitError,
} from '../../http/outbound.ts';
import { validatedCallback } from '../oauth-callback.ts';
import {
  type AuthorizationRequest,
  type OAuthTokenSet,
  VendorAuthorizationError,
  VendorGrantRevokedError,
  type VendorOAuth,
} from '../types.ts';

// Google OAuth 2.0 for the Google Health API, through oauth4webapi (PKCE S256, state,
// code exchange, refresh, revocation). Every request goes through the outbound wrapper.

export type GoogleOAuthSettings = Pick<
  Config['fitbit'],
  'clientId' | 'clientSecret' | 'redirectUri' | 'authorizeUrl' | 'tokenUrl' | 'revokeUrl'
>;

const VENDOR = 'fitbit';
const GOOGLE_ISSUER = 'https://accounts.google.com';

export function createGoogleOAuth(
  settings: GoogleOAuthSettings,
  http: OutboundHttp,
  now: () => Date,
): VendorOAuth {
  // NOTE: Google sends `iss=https://accounts.google.com` on the redirect (RFC 9207); an emulator
  // elsewhere is its own issuer. oauth4webapi compares `iss` only when it is present.
  const authorizeOrigin = new URL(settings.authorizeUrl).origin;
  const as: oauth.AuthorizationServer = {
    issuer: authorizeOrigin === GOOGLE_ISSUER ? GOOGLE_ISSUER : authorizeOrigin,
    authorization_endpoint: settings.authorizeUrl,
    token_endpoint: settings.tokenUrl,
    revocation_endpoint: settings.revokeUrl,
  };

  function client(): { client: oauth.Client; auth: oauth.ClientAuth } {
    if (!settings.clientId || !settings.clientSecret) {
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'Fitbit is not configured (FITBIT_CLIENT_ID, FITBIT_CLIENT_SECRET)',
      );
    }
    return { client: { client_id: settings.clientId }, auth: oauth.ClientSecretPost(settings.clientSecret) };
  }

  /** oauth4webapi options: our wrapper as its fetch; plain http only for loopback (the sandbox). */
  function requestOptions(url: string, retries: number) {
    return {
      [oauth.customFetch]: (target: string, init: oauth.CustomFetchOptions<'POST', URLSearchParams>) =>
        http.send({
          vendor: VENDOR,
          url: target,
          method: init.method,
          headers: init.headers,
          body: init.body,
          retries,
          ...(init.signal ? { signal: init.signal } : {}),
        }),
      ...(isLoopbackUrl(url) ? { [oauth.allowInsecureRequests]: true } : {}),
    };
  }

  function toTokenSet(response: oauth.TokenEndpointResponse): OAuthTokenSet {
    const issuedAt = now().getTime();
    const refreshTtl = response.refresh_token_expires_in;
    return {
      accessToken: response.access_token,
      refreshToken: response.refresh_token ?? null,
      accessExpiresAt:
        response.expires_in === undefined ? null : new Date(issuedAt + response.expires_in * 1000),
      // NOTE: Google adds refresh_token_expires_in while the OAuth app is in "Testing" (7 days; docs/google-health.md §2).
      refreshExpiresAt: typeof refreshTtl === 'number' ? new Date(issuedAt + refreshTtl * 1000) : null,
      scopes: typeof response.scope === 'string' ? response.scope.split(' ').filter(Boolean) : null,
    };
  }

  return {
    redirectUri: settings.redirectUri,

    authorizationUrl(request: AuthorizationRequest): URL {
      const { client: c } = client();
      const url = new URL(settings.authorizeUrl);
      const params = url.searchParams;
      params.set('client_id', c.client_id);
      params.set('redirect_uri', settings.redirectUri);
      params.set('response_type', 'code');
      params.set('scope', request.scopes.join(' '));
      params.set('state', request.state);
      params.set('code_challenge', request.codeChallenge);
      params.set('code_challenge_method', 'S256');
      // NOTE: Google issues a refresh token only with access_type=offline, and again only with prompt=consent (docs/google-health.md §2).
      params.set('access_type', 'offline');
      params.set('include_granted_scopes', 'true');
      if (request.forceConsent) params.set('prompt', 'consent');
      if (request.loginHint) params.set('login_hint', request.loginHint);
      return url;
    },

    async exchangeCode(callback, expected) {
      const { client: c, auth } = client();
      const params = validatedCallback(VENDOR, as, c, callback, expected.state);
      try {
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          c,
          auth,
          params,
          settings.redirectUri,
          expected.codeVerifier,
          // A code is single-use: never replay the exchange.
          requestOptions(settings.tokenUrl, 0),
        );
        return toTokenSet(await oauth.processAuthorizationCodeResponse(as, c, response));
      } catch (err) {
        if (err instanceof AppError && err.code !== 'OAUTH_FAILED') throw err;
        const classified = classifyTokenError(err);
        if (isRetryableVendorError(classified)) throw classified;
        const error = err instanceof oauth.ResponseBodyError ? err.error : 'invalid_response';
        throw new VendorAuthorizationError(VENDOR, 'EXCHANGE_FAILED', `Code exchange failed: ${error}`, err);
      }
    },

    async refresh(refreshToken) {
      const { client: c, auth } = client();
      try {
        const response = await oauth.refreshTokenGrantRequest(
          as,
          c,
          auth,
          refreshToken,
          requestOptions(settings.tokenUrl, 2),
        );
        return toTokenSet(await oauth.processRefreshTokenResponse(as, c, response));
      } catch (err) {
        throw classifyTokenError(err);
      }
    },

    async revoke(token) {
      const { client: c, auth } = client();
      try {
        const response = await oauth.revocationRequest(
          as,
          c,
          auth,
          token,
          requestOptions(settings.revokeUrl, 2),
        );
        await oauth.processRevocationResponse(response);
      } catch (err) {
        throw classifyTokenError(err);
      }
    },
  };
}

/** invalid_grant is final; 5xx/429/network are retryable; anything else is a vendor error. */
function classifyTokenError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const body = err instanceof oauth.ResponseBodyError ? err.cause : undefined;
  if (
    err instanceof oauth.ResponseBodyError &&
    (err.error === 'invalid_grant' || err.error === 'invalid_token')
  ) {
    return new VendorGrantRevokedError(VENDOR);
  }
  // oauth4webapi keeps the Response: on ResponseBodyError as `response`, otherwise as `cause`.
  const response = err instanceof oauth.ResponseBodyError ? err.response : (err as { cause?: unknown }).cause;
  if (!(response instanceof Response))
    return new AppError('VENDOR_ERROR', 'Token request failed', { cause: err });
  if (response.status === 429) {
    const wait = parseRetryAfter(response.headers.get('retry-after'), Date.now()) ?? 60_000;
    return new VendorRateLimitError(VENDOR, 429, Math.max(1, Math.ceil(wait / 1000)));
  }
  return new VendorHttpError(VENDOR, response.status, body);
}
