import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundHttp, isRetryableVendorError, type OutboundHttp } from '../../../src/http/outbound.ts';
import { RateBudgetExhausted } from '../../../src/sync/rate-budget.ts';
import { VendorAuthorizationError, VendorGrantRevokedError } from '../../../src/vendors/types.ts';
import { WithingsRateLimitError } from '../../../src/vendors/withings/errors.ts';
import { createWithingsOAuth, type WithingsOAuthSettings } from '../../../src/vendors/withings/oauth.ts';
import { withingsSignature } from '../../../src/vendors/withings/signature.ts';
import { fakeClock } from '../../helpers/clock.ts';
import { fixture, STUB_CLIENT, startWithingsStub, type WithingsStub } from './stub.ts';

// Withings OAuth against the stub token, signature and revoke services over loopback HTTP.
const REDIRECT = 'https://phr.example/integrations/withings/callback';
const clock = fakeClock('2026-12-01T10:00:00Z');
let stub: WithingsStub;
let http: OutboundHttp;
beforeAll(async () => {
  stub = await startWithingsStub({ now: () => clock.now().getTime(), redirectUri: REDIRECT });
  http = createOutboundHttp({ fetch: globalThis.fetch, maxRetries: 0 });
});
afterAll(async () => stub?.close());

function oauthWith(overrides: Partial<WithingsOAuthSettings> = {}) {
  return createWithingsOAuth(
    {
      ...STUB_CLIENT,
      redirectUri: REDIRECT,
      authorizeUrl: 'https://account.withings.com/oauth2_user/authorize2',
      apiUrl: stub.url,
      ...overrides,
    },
    http,
    clock.now,
  );
}

const callback = (params: Record<string, string>) => new URLSearchParams(params);
const tokenRequests = () =>
  stub.requests.filter((r) => r.path === '/v2/oauth2' && r.form.action === 'requesttoken');

async function connect(userid: number | string = 363) {
  const code = stub.issueCode({ userid, scope: 'user.info,user.metrics,user.activity' });
  return oauthWith().exchangeCode(callback({ code, state: 's1' }), { state: 's1', codeVerifier: 'unused' });
}

describe('Withings OAuth', () => {
  it('builds the authorize URL: code flow, comma-joined scopes, state, no PKCE', () => {
    const url = oauthWith().authorizationUrl({
      state: 'state-1',
      codeChallenge: 'challenge',
      scopes: ['user.metrics', 'user.activity', 'user.info'],
      forceConsent: true,
      loginHint: 'someone',
    });
    expect(url.origin + url.pathname).toBe('https://account.withings.com/oauth2_user/authorize2');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: STUB_CLIENT.clientId,
      state: 'state-1',
      scope: 'user.metrics,user.activity,user.info',
      redirect_uri: REDIRECT,
    });
  });

  it('refuses to start when Withings is not configured', () => {
    expect(() =>
      oauthWith({ clientId: undefined, clientSecret: undefined }).authorizationUrl({
        state: 's',
        codeChallenge: 'c',
        scopes: ['user.metrics'],
        forceConsent: false,
      }),
    ).toThrow(expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }));
  });

  it('exchanges a code: the user id (integer or string) as a string, comma-separated scopes, 3 h expiry', async () => {
    const before = tokenRequests().length;
    const tokens = await connect(363);
    expect(tokens).toMatchObject({
      vendorUserId: '363',
      scopes: ['user.info', 'user.metrics', 'user.activity'],
      refreshExpiresAt: null,
    });
    expect(tokens.accessToken).toMatch(/^[0-9a-f]{40}$/);
    expect(tokens.refreshToken).toBe(stub.currentRefreshToken(363));
    expect(tokens.accessExpiresAt?.toISOString()).toBe('2026-12-01T13:00:00.000Z');
    expect(tokenRequests().slice(before)).toEqual([
      expect.objectContaining({
        form: {
          action: 'requesttoken',
          grant_type: 'authorization_code',
          client_id: STUB_CLIENT.clientId,
          client_secret: STUB_CLIENT.clientSecret,
          code: expect.any(String),
          redirect_uri: REDIRECT,
        },
        authorization: undefined,
      }),
    ]);
    expect((await connect('8012345')).vendorUserId).toBe('8012345');
  });

  it('reads the recorded token answer', async () => {
    const sample = fixture<{ body: Record<string, unknown> }>(
      'oauth-requesttoken-response.spec-examples.json',
    );
    stub.queue('/v2/oauth2', { json: sample });
    const tokens = await oauthWith().exchangeCode(callback({ code: 'c', state: 's' }), {
      state: 's',
      codeVerifier: 'unused',
    });
    expect(tokens).toMatchObject({
      accessToken: sample.body.access_token,
      refreshToken: sample.body.refresh_token,
      vendorUserId: '363',
      scopes: ['user.info', 'user.metrics'],
    });
  });

  it('checks the redirect before any exchange: state, error, code', async () => {
    const before = tokenRequests().length;
    const reasons: string[] = [];
    const redirects: Record<string, string>[] = [
      { code: 'c', state: 'forged' },
      { error: 'access_denied', state: 's' },
      { error: 'server_error', state: 's' },
      { state: 's' },
    ];
    for (const params of redirects) {
      const err = await oauthWith()
        .exchangeCode(callback(params), { state: 's', codeVerifier: 'unused' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VendorAuthorizationError);
      reasons.push((err as VendorAuthorizationError).reason);
    }
    expect(reasons).toEqual(['INVALID_RESPONSE', 'ACCESS_DENIED', 'AUTHORIZATION_ERROR', 'INVALID_RESPONSE']);
    expect(tokenRequests().length).toBe(before);
  });

  it('an expired or used code (503 "invalid code") is INVALID_CODE; a code is sent once', async () => {
    const code = stub.issueCode();
    await oauthWith().exchangeCode(callback({ code, state: 's' }), { state: 's', codeVerifier: 'unused' });
    clock.advance(11_000);
    const before = tokenRequests().length;
    const err = await oauthWith()
      .exchangeCode(callback({ code, state: 's' }), { state: 's', codeVerifier: 'unused' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorAuthorizationError);
    expect(err).toMatchObject({ reason: 'INVALID_CODE', code: 'OAUTH_FAILED' });
    expect(tokenRequests().length).toBe(before + 1);
  });

  it('a token answer without a user id is refused', async () => {
    stub.queue('/v2/oauth2', {
      json: {
        status: 0,
        body: { access_token: 'a', refresh_token: 'r', expires_in: 10800, scope: 'user.metrics' },
      },
    });
    await expect(
      oauthWith().exchangeCode(callback({ code: 'c', state: 's' }), { state: 's', codeVerifier: 'unused' }),
    ).rejects.toMatchObject({ reason: 'INVALID_RESPONSE' });
  });

  it('refresh rotates: a new refresh token every time, and the old one dies once the new access token is used', async () => {
    const first = await connect(4001);
    clock.advance(3 * 3600_000);
    const second = await oauthWith().refresh(first.refreshToken as string);
    expect(second.refreshToken).not.toBeNull();
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.accessExpiresAt?.getTime()).toBe(clock.now().getTime() + 10_800_000);
    expect(tokenRequests().at(-1)?.form).toEqual({
      action: 'requesttoken',
      grant_type: 'refresh_token',
      client_id: STUB_CLIENT.clientId,
      client_secret: STUB_CLIENT.clientSecret,
      refresh_token: first.refreshToken,
    });

    // The caller stores the new pair and uses it: from then on the old refresh token is dead,
    // so a caller that kept the old one would lose the grant.
    await http.request({
      vendor: 'withings',
      url: `${stub.url}/notify`,
      method: 'POST',
      headers: { authorization: `Bearer ${second.accessToken}` },
      body: new URLSearchParams({ action: 'list' }),
    });
    clock.advance(60_000);
    await expect(oauthWith().refresh(first.refreshToken as string)).rejects.toBeInstanceOf(
      VendorGrantRevokedError,
    );
    const third = await oauthWith().refresh(second.refreshToken as string);
    expect(third.refreshToken).toBe(stub.currentRefreshToken(4001));
  });

  it('the recorded 503 "invalid refresh_token" is a revoked grant', async () => {
    stub.queue('/v2/oauth2', { json: fixture('error-503-invalid-refresh-token.3p-live.json') });
    await expect(oauthWith().refresh('dead')).rejects.toBeInstanceOf(VendorGrantRevokedError);
  });

  it('601 on a refresh (the same request twice within 10 s) is a retryable rate limit, never a revocation', async () => {
    const tokens = await connect(4002);
    clock.advance(60_000);
    stub.queue('/v2/oauth2', { json: fixture('error-601-same-arguments.3p-live.json') });
    const err = await oauthWith()
      .refresh(tokens.refreshToken as string)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WithingsRateLimitError);
    expect(err).not.toBeInstanceOf(VendorGrantRevokedError);
    expect(isRetryableVendorError(err)).toBe(true);
    expect(err).toMatchObject({ retryAfter: 188 });
    // The refresh token was not spent: a later attempt succeeds.
    clock.advance(200_000);
    expect((await oauthWith().refresh(tokens.refreshToken as string)).refreshToken).toBe(
      stub.currentRefreshToken(4002),
    );
  });

  it('the stub itself answers 601 to a repeated identical token request', async () => {
    const tokens = await connect(4003);
    clock.advance(60_000);
    await oauthWith().refresh(tokens.refreshToken as string);
    await expect(oauthWith().refresh(tokens.refreshToken as string)).rejects.toBeInstanceOf(
      WithingsRateLimitError,
    );
  });

  it('revokes by user id with a fresh signed nonce; the token is not needed', async () => {
    const tokens = await connect(4004);
    const before = stub.requests.length;
    await oauthWith().revoke(tokens.refreshToken as string, { vendorUserId: '4004' });
    expect(stub.revokedUsers).toContain('4004');
    const [getnonce, revoke] = stub.requests.slice(before);
    const timestamp = Math.floor(clock.now().getTime() / 1000);
    expect(getnonce).toMatchObject({
      path: '/v2/signature',
      form: {
        action: 'getnonce',
        client_id: STUB_CLIENT.clientId,
        timestamp: String(timestamp),
        signature: withingsSignature(STUB_CLIENT.clientSecret, {
          action: 'getnonce',
          client_id: STUB_CLIENT.clientId,
          timestamp,
        }),
      },
    });
    expect(revoke?.path).toBe('/v2/oauth2');
    expect(revoke?.form).toEqual({
      action: 'revoke',
      client_id: STUB_CLIENT.clientId,
      nonce: expect.stringMatching(/^[0-9a-f]{40}$/),
      signature: withingsSignature(STUB_CLIENT.clientSecret, {
        action: 'revoke',
        client_id: STUB_CLIENT.clientId,
        nonce: revoke?.form.nonce ?? '',
      }),
      userid: '4004',
    });
    expect(JSON.stringify(revoke?.form)).not.toContain(STUB_CLIENT.clientSecret);
    // The grant is gone at Withings.
    await expect(oauthWith().refresh(tokens.refreshToken as string)).rejects.toBeInstanceOf(
      VendorGrantRevokedError,
    );
  });

  it('cannot revoke without a user id, and sends nothing', async () => {
    const before = stub.requests.length;
    await expect(oauthWith().revoke('token')).rejects.toMatchObject({ code: 'VENDOR_ERROR' });
    await expect(oauthWith().revoke('token', { vendorUserId: null })).rejects.toMatchObject({
      code: 'VENDOR_ERROR',
    });
    expect(stub.requests.length).toBe(before);
  });
  it('token requests spend the application-wide budget; an empty budget sends nothing', async () => {
    const first = await connect(4002);
    const spent: string[] = [];
    const withBudget = (spend: () => Promise<void>) =>
      createWithingsOAuth(
        {
          ...STUB_CLIENT,
          redirectUri: REDIRECT,
          authorizeUrl: 'https://account.withings.com/oauth2_user/authorize2',
          apiUrl: stub.url,
        },
        http,
        clock.now,
        spend,
      );
    clock.advance(3 * 3600_000);
    await withBudget(async () => void spent.push('take')).refresh(first.refreshToken as string);
    expect(spent).toEqual(['take']);
    const before = tokenRequests().length;
    const empty = withBudget(async () => {
      throw new RateBudgetExhausted(Date.now() + 30_000);
    });
    await expect(empty.refresh('any')).rejects.toBeInstanceOf(RateBudgetExhausted);
    expect(tokenRequests()).toHaveLength(before);
  });
});
