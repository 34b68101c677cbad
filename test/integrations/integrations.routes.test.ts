import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type SandboxTestApp, withSandbox } from '../helpers/app.ts';
import { connectFitbit } from '../helpers/flow.ts';

let t: SandboxTestApp;
beforeAll(async () => {
  t = await withSandbox();
});
afterAll(async () => t?.close());

const get = (url: string, auth: { authorization: string }) => t.app.inject({ url, headers: auth });
const post = (url: string, auth: { authorization: string }, payload: unknown) =>
  t.app.inject({ method: 'POST', url, headers: auth, payload: payload as Record<string, unknown> });

describe('vendor registry and integrations', () => {
  it('lists the available vendors with their data types', async () => {
    const u = await registerUser(t.app);
    const res = await get('/integrations/vendors/available', u.auth);
    expect(res.statusCode).toBe(200);
    const [fitbit, withings, ...others] = res.json();
    expect(others).toEqual([]);
    expect(fitbit).toMatchObject({ vendor: 'fitbit', status: 'available' });
    expect(withings).toMatchObject({ vendor: 'withings', display_name: 'Withings', status: 'available' });
    expect(withings.data_types).toEqual(
      expect.arrayContaining(['body_weight', 'heart_rate', 'spo2', 'steps', 'sleep']),
    );
    expect(fitbit.display_name).toMatch(/Fitbit/);
    expect(fitbit.data_types).toEqual(
      expect.arrayContaining([
        'heart_rate',
        'resting_heart_rate',
        'spo2',
        'body_weight',
        'steps',
        'calories',
        'distance',
      ]),
    );
  });

  it('select creates (201), is idempotent (200), and an unknown vendor is 422', async () => {
    const u = await registerUser(t.app);
    const created = await post('/integrations/vendors/select', u.auth, { vendor: 'fitbit' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      vendor: 'fitbit',
      status: 'pending_authorization',
      is_active: true,
      connected_at: null,
      last_sync_at: null,
      last_sync_status: null,
      vendor_user_id: null,
      scopes: [],
    });
    const again = await post('/integrations/vendors/select', u.auth, { vendor: 'fitbit' });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(created.json().id);
    const unknown = await post('/integrations/vendors/select', u.auth, { vendor: 'garmin' });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({ code: 'UNKNOWN_VENDOR', errors: [{ field: 'vendor' }] });
    const invalid = await post('/integrations/vendors/select', u.auth, { vendor: 'fitbit', extra: 1 });
    expect(invalid.statusCode).toBe(400);
    expect((await get('/integrations/vendors/available', { authorization: 'Bearer nope' })).statusCode).toBe(
      401,
    );
  });

  it('status is always 200 for the PHR-App, connected:false without an integration', async () => {
    const u = await registerUser(t.app);
    const res = await get('/integrations/fitbit/status', u.auth);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      vendor: 'fitbit',
      connected: false,
      is_connected: false,
      status: null,
    });
    expect((await get('/integrations/nope/status', u.auth)).statusCode).toBe(404);
  });

  it('DELETE revokes at the vendor, deletes tokens, keeps the row; select reactivates it', async () => {
    const u = await registerUser(t.app);
    const person = t.sandbox.people.createPerson();
    await connectFitbit(t.app, u.auth, person.id);
    const [info] = (await get('/integrations/vendors', u.auth)).json().integrations;
    t.sandbox.admin.resetRequestLog();
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/integrations/vendors/${info.id}`,
      headers: u.auth,
    });
    expect(del.statusCode).toBe(204);
    const log = t.sandbox.admin.requestLog();
    expect(log.byEndpoint['POST /revoke']).toBe(1);
    expect(log.grants.filter((g) => g.personId === person.id).every((g) => g.revoked)).toBe(true);
    expect(await t.deps.vault.readTokens(t.deps.db, info.id)).toBeUndefined();
    const [after] = (await get('/integrations/vendors', u.auth)).json().integrations;
    expect(after).toMatchObject({
      id: info.id,
      status: 'inactive',
      is_active: false,
      vendor_user_id: person.id,
    });
    expect((await get('/integrations/fitbit/status', u.auth)).json()).toMatchObject({ connected: false });
    expect((await get('/integrations/vendors?active_only=true', u.auth)).json().integrations).toEqual([]);

    const reactivated = await post('/integrations/vendors/select', u.auth, { vendor: 'fitbit' });
    expect(reactivated.statusCode).toBe(200);
    expect(reactivated.json()).toMatchObject({
      id: info.id,
      status: 'pending_authorization',
      is_active: true,
    });
  });

  it('a vendor that fails to revoke does not block the disconnect, and the log has no token', async () => {
    const u = await registerUser(t.app);
    await connectFitbit(t.app, u.auth, t.sandbox.people.createPerson().id);
    const [info] = (await get('/integrations/vendors', u.auth)).json().integrations;
    const refresh = (await t.deps.vault.readTokens(t.deps.db, info.id))?.refreshToken?.reveal() ?? '';
    expect(refresh).not.toBe('');
    // The revoke endpoint is down (every attempt): the disconnect still succeeds.
    // (The sandbox injects faults on /token only, so the wrapper's send is swapped for /revoke.)
    const originalSend = t.deps.http.send;
    t.deps.http.send = async (req) =>
      String(req.url).endsWith('/revoke')
        ? new Response('{"error":"backend"}', { status: 500 })
        : originalSend(req);
    try {
      const res = await post('/integrations/vendors/disconnect', u.auth, { vendor: 'fitbit' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ vendor: 'fitbit', connected: false, status: 'inactive' });
    } finally {
      t.deps.http.send = originalSend;
    }
    expect(await t.deps.vault.readTokens(t.deps.db, info.id)).toBeUndefined();
    const logs = t.logs.join('');
    expect(logs).toContain('vendor revoke failed');
    expect(logs).not.toContain(refresh);
    // Idempotent alias: disconnecting again, or without any integration, is still 200.
    expect((await post('/integrations/vendors/disconnect', u.auth, { vendor: 'fitbit' })).statusCode).toBe(
      200,
    );
    const fresh = await registerUser(t.app);
    expect(
      (await post('/integrations/vendors/disconnect', fresh.auth, { vendor: 'fitbit' })).statusCode,
    ).toBe(200);
    expect((await post('/integrations/vendors/disconnect', fresh.auth, { vendor: 'nope' })).statusCode).toBe(
      422,
    );
  });

  it("user B gets 404 for user A's integration and cannot see or change it", async () => {
    const a = await registerUser(t.app);
    const b = await registerUser(t.app);
    const created = (await post('/integrations/vendors/select', a.auth, { vendor: 'fitbit' })).json();
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/integrations/vendors/${created.id}`,
      headers: b.auth,
    });
    expect(del.statusCode).toBe(404);
    expect(del.json().code).toBe('NOT_FOUND');
    expect((await get('/integrations/vendors', b.auth)).json().integrations).toEqual([]);
    const [still] = (await get('/integrations/vendors', a.auth)).json().integrations;
    expect(still).toMatchObject({ id: created.id, is_active: true });
    const bogus = await t.app.inject({
      method: 'DELETE',
      url: '/integrations/vendors/not-a-uuid',
      headers: a.auth,
    });
    expect(bogus.statusCode).toBe(400);
  });

  it('revokeAllForUser revokes every grant and deletes every token of the user', async () => {
    const u = await registerUser(t.app);
    const person = t.sandbox.people.createPerson();
    await connectFitbit(t.app, u.auth, person.id);
    const result = await t.deps.integrations.revokeAllForUser(u.id);
    expect(result).toEqual({ integrations: 1, revoked: 1 });
    const rows = await t.deps.db
      .selectFrom('integration_tokens')
      .where('user_id', '=', u.id)
      .selectAll()
      .execute();
    expect(rows).toEqual([]);
    const grants = t.sandbox.admin.requestLog().grants.filter((g) => g.personId === person.id);
    expect(grants.every((g) => g.revoked)).toBe(true);
  });
});

describe('authorize from a browser with ?token= (PHR-App)', () => {
  it('authenticates from the query, redirects, and keeps the token out of logs and caches', async () => {
    const u = await registerUser(t.app);
    const res = await t.app.inject({ url: `/integrations/fitbit/authorize?token=${u.accessToken}` });
    expect(res.statusCode).toBe(302);
    const location = new URL(String(res.headers.location));
    expect(location.origin + location.pathname).toBe(t.sandbox.env.GOOGLE_OAUTH_AUTHORIZE_URL);
    expect(location.searchParams.get('state')).toBeTruthy();
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(String(res.headers.location)).not.toContain(u.accessToken);
    expect(t.logs.join('')).not.toContain(u.accessToken);
    expect(t.logs.join('')).toMatch(/authorize\?token=\[REDACTED\]/);
  });

  it('with a header it answers JSON unless redirect=true; a bad query token is 401', async () => {
    const u = await registerUser(t.app);
    const json = await get('/integrations/fitbit/authorize', u.auth);
    expect(json.statusCode).toBe(200);
    expect(json.headers['cache-control']).toBe('no-store');
    expect(Object.keys(json.json()).sort()).toEqual(['authorization_url', 'expires_at', 'state']);
    const redirect = await get('/integrations/fitbit/authorize?redirect=true', u.auth);
    expect(redirect.statusCode).toBe(302);
    expect((await t.app.inject({ url: '/integrations/fitbit/authorize?token=garbage' })).statusCode).toBe(
      401,
    );
    expect((await t.app.inject({ url: '/integrations/fitbit/authorize' })).statusCode).toBe(401);
    expect((await get('/integrations/nope/authorize', u.auth)).statusCode).toBe(404);
  });

  it('the query token works on the authorize route only', async () => {
    const u = await registerUser(t.app);
    for (const url of ['/integrations/fitbit/status', '/integrations/vendors', '/auth/me']) {
      const res = await t.app.inject({ url: `${url}?token=${u.accessToken}` });
      expect(res.statusCode, url).toBe(401);
    }
  });
});
