import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callWithings } from '../../../src/vendors/withings/envelope.ts';
import { createTestApp, registerUser, type TestApp } from '../../helpers/app.ts';
import { fakeClock } from '../../helpers/clock.ts';
import { browserOf, deliverCallback } from '../../helpers/flow.ts';
import { type SyncWorld, settled } from '../../helpers/sync-world.ts';
import { fixture, STUB_CLIENT, startWithingsStub, type WithingsStub } from './stub.ts';

// Connecting Withings through the real app (PGlite or PostgreSQL) with the Withings services
// played by the stub: the user id from the token answer becomes the integration's vendor user,
// every refresh's new refresh token is stored, a 401 envelope refreshes once, and a disconnect
// revokes by user id.
const REDIRECT = 'http://localhost:8000/integrations/withings/callback';
const clock = fakeClock('2026-12-01T10:00:00Z');
let stub: WithingsStub;
let t: TestApp;
beforeAll(async () => {
  stub = await startWithingsStub({ now: () => clock.now().getTime(), redirectUri: REDIRECT });
  t = await createTestApp({
    clock,
    env: {
      WITHINGS_CLIENT_ID: STUB_CLIENT.clientId,
      WITHINGS_CLIENT_SECRET: STUB_CLIENT.clientSecret,
      WITHINGS_API_URL: stub.url,
      WITHINGS_OAUTH_AUTHORIZE_URL: `${stub.url}/oauth2_user/authorize2`,
    },
  });
});
afterAll(async () => {
  await t?.close();
  await stub?.close();
});

async function connect(auth: { authorization: string }, userid: number, scope: string): Promise<URL> {
  const browser = browserOf(t.app);
  const res = await t.app.inject({
    url: '/integrations/withings/authorize',
    headers: { ...auth, ...browser.headers() },
  });
  expect(res.statusCode, res.body).toBe(200);
  browser.receive(res.headers['set-cookie']);
  const start = res.json() as { authorization_url: string; state: string };
  const url = new URL(start.authorization_url);
  expect(url.searchParams.get('scope')).toBe('user.metrics,user.activity,user.info');
  expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT);
  // The consent step: Withings redirects back with a code and the state.
  const code = stub.issueCode({ userid, scope });
  return deliverCallback(t.app, `${REDIRECT}?code=${code}&state=${encodeURIComponent(start.state)}`);
}

const status = async (auth: { authorization: string }) =>
  (await t.app.inject({ url: '/integrations/withings/status', headers: auth })).json();

describe('connecting Withings', () => {
  it('is listed beside Fitbit', async () => {
    const u = await registerUser(t.app);
    const res = await t.app.inject({ url: '/integrations/vendors/available', headers: u.auth });
    expect(res.json().map((v: { vendor: string }) => v.vendor)).toEqual(['fitbit', 'withings']);
  });

  it('connects with the token answer user id, stores each rotated refresh token, revokes on disconnect', async () => {
    const u = await registerUser(t.app);
    const result = await connect(u.auth, 363, 'user.info,user.metrics,user.activity');
    expect(Object.fromEntries(result.searchParams)).toEqual({ status: 'connected', vendor: 'withings' });
    const connected = await status(u.auth);
    expect(connected).toMatchObject({
      vendor: 'withings',
      connected: true,
      vendor_user_id: '363',
      missing_scopes: [],
      skipped_types: [],
    });
    const integrationId = (await t.app.inject({ url: '/integrations/vendors', headers: u.auth })).json()
      .integrations[0].id as string;
    const stored = async () =>
      (await t.deps.vault.readTokens(t.deps.db, integrationId))?.refreshToken?.reveal();
    expect(await stored()).toBe(stub.currentRefreshToken(363));
    // The connect's backfill reads the stub too: let it finish before the stub's answers are queued.
    await settled(t as SyncWorld, integrationId);

    // Three hours on, the access token is stale: the refresh's new refresh token is stored.
    const first = await stored();
    clock.advance(3 * 3600_000);
    const token = await t.deps.accessTokens.getAccessToken(integrationId);
    expect(await stored()).not.toBe(first);
    expect(await stored()).toBe(stub.currentRefreshToken(363));

    // Withings says 401 inside HTTP 200: one refresh, then the call runs again with the new token.
    const api = { http: t.deps.http, apiUrl: stub.url, now: clock.now };
    const second = await stored();
    stub.queue('/measure', { json: fixture('error-401-invalid-token.3p-live.json') });
    clock.advance(60_000);
    const tokensSeen: string[] = [];
    const body = await t.deps.accessTokens.withAccessToken(integrationId, (accessToken) => {
      tokensSeen.push(accessToken);
      return callWithings(api, { path: '/measure', action: 'getmeas', accessToken });
    });
    expect(body).toEqual({});
    expect(tokensSeen).toHaveLength(2);
    expect(tokensSeen[0]).toBe(token.accessToken.reveal());
    expect(await stored()).not.toBe(second);
    expect(await stored()).toBe(stub.currentRefreshToken(363));

    const off = await t.app.inject({
      method: 'POST',
      url: '/integrations/vendors/disconnect',
      headers: u.auth,
      payload: { vendor: 'withings' },
    });
    expect(off.statusCode, off.body).toBe(200);
    expect(stub.revokedUsers).toContain('363');
    expect(stub.currentRefreshToken(363)).toBeUndefined();
  });

  it('a grant of no data scope is refused and revoked by its user id', async () => {
    const u = await registerUser(t.app);
    const result = await connect(u.auth, 364, 'user.info');
    expect(Object.fromEntries(result.searchParams)).toMatchObject({
      status: 'error',
      code: 'NO_SCOPES_GRANTED',
    });
    expect(stub.revokedUsers).toContain('364');
    expect((await status(u.auth)).connected).toBe(false);
  });

  it('a refresh token Withings no longer knows puts the integration in needs_reauth', async () => {
    const u = await registerUser(t.app);
    await connect(u.auth, 365, 'user.metrics,user.activity');
    const integrationId = (await t.app.inject({ url: '/integrations/vendors', headers: u.auth })).json()
      .integrations[0].id as string;
    stub.queue('/v2/oauth2', { json: fixture('error-503-invalid-refresh-token.3p-live.json') });
    clock.advance(3 * 3600_000);
    await expect(t.deps.accessTokens.getAccessToken(integrationId)).rejects.toMatchObject({
      code: 'VENDOR_AUTH_REVOKED',
    });
    expect(await status(u.auth)).toMatchObject({ status: 'needs_reauth', connected: false });
  });
});
