import { createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oauthStateContext } from '../../src/vault/vault.ts';
import { registerUser, type SandboxTestApp, withSandbox } from '../helpers/app.ts';
import {
  connectFitbit,
  consentAutomatically,
  consentWithForm,
  deliverCallback,
  startAuthorize,
} from '../helpers/flow.ts';

// The connect flow against the sandbox over real HTTP; the clock is the only fake.
let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };

let t: SandboxTestApp;
beforeAll(async () => {
  t = await withSandbox({ app: { clock } });
});
afterAll(async () => t?.close());

const status = async (auth: { authorization: string }) => {
  const res = await t.app.inject({ url: '/integrations/fitbit/status', headers: auth });
  expect(res.statusCode).toBe(200);
  return res.json();
};
const resultOf = (url: URL) => Object.fromEntries(url.searchParams);

describe('OAuth connect flow', () => {
  it('browser round trip through the consent form connects the integration', async () => {
    const u = await registerUser(t.app);
    const person = t.sandbox.people.createPerson();
    const start = await startAuthorize(t.app, u.auth, person.id);
    const url = new URL(start.authorization_url);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: t.sandbox.env.FITBIT_CLIENT_ID,
      redirect_uri: t.sandbox.env.FITBIT_REDIRECT_URI,
      response_type: 'code',
      access_type: 'offline',
      prompt: 'consent',
      include_granted_scopes: 'true',
      code_challenge_method: 'S256',
      state: start.state,
    });
    expect(url.searchParams.get('scope')).toContain('googlehealth.activity_and_fitness.readonly');
    expect(new Date(start.expires_at).getTime() - clock.now().getTime()).toBeCloseTo(600_000, -4);

    const back = await consentWithForm(start.authorization_url, { action: 'allow', personId: person.id });
    const result = await deliverCallback(t.app, back);
    expect(result.pathname).toBe('/integrations/oauth/result');
    expect(resultOf(result)).toEqual({ status: 'connected', vendor: 'fitbit' });

    const page = await t.app.inject({ url: `${result.pathname}${result.search}` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('connected');

    const s = await status(u.auth);
    expect(s).toMatchObject({
      vendor: 'fitbit',
      connected: true,
      status: 'connected',
      vendor_user_id: person.id,
      missing_scopes: [],
      skipped_types: [],
    });
    expect(s.scopes.length).toBeGreaterThanOrEqual(3);

    const list = await t.app.inject({ url: '/integrations/vendors', headers: u.auth });
    const [info] = list.json().integrations;
    expect(info).toMatchObject({
      vendor: 'fitbit',
      status: 'connected',
      is_active: true,
      vendor_user_id: person.id,
    });
    expect(info.legacy_vendor_user_id).toBe(person.legacyUserId ?? null);
    expect(info.connected_at).not.toBeNull();
  });

  it('scripted auto-consent works and a held refresh token means no forced consent next time', async () => {
    const sandbox = await withSandbox({ sandbox: { autoConsent: true } });
    try {
      const u = await registerUser(sandbox.app);
      const person = sandbox.sandbox.people.createPerson();
      const first = await startAuthorize(sandbox.app, u.auth, person.id);
      const result = await deliverCallback(sandbox.app, await consentAutomatically(first.authorization_url));
      expect(resultOf(result)).toMatchObject({ status: 'connected' });
      const again = await startAuthorize(sandbox.app, u.auth, person.id);
      expect(new URL(again.authorization_url).searchParams.get('prompt')).toBeNull();
    } finally {
      await sandbox.close();
    }
  });

  it('partial consent connects and reports the refused scopes and skipped types', async () => {
    const u = await registerUser(t.app);
    const person = t.sandbox.people.createPerson();
    const start = await startAuthorize(t.app, u.auth, person.id);
    const back = await consentWithForm(start.authorization_url, {
      action: 'allow',
      personId: person.id,
      scopes: (all) => all.filter((s) => !s.includes('sleep')),
    });
    expect(resultOf(await deliverCallback(t.app, back))).toMatchObject({ status: 'connected' });
    const s = await status(u.auth);
    expect(s.connected).toBe(true);
    expect(s.missing_scopes).toEqual(['https://www.googleapis.com/auth/googlehealth.sleep.readonly']);
    expect(s.skipped_types).toEqual(['sleep']);
  });

  it('denied consent ends on the result page with ACCESS_DENIED and stays unconnected', async () => {
    const u = await registerUser(t.app);
    const start = await startAuthorize(t.app, u.auth);
    const back = await consentWithForm(start.authorization_url, { action: 'deny' });
    expect(new URL(back).searchParams.get('error')).toBe('access_denied');
    const result = await deliverCallback(t.app, back);
    expect(resultOf(result)).toEqual({ status: 'error', code: 'ACCESS_DENIED', vendor: 'fitbit' });
    const page = await t.app.inject({ url: `${result.pathname}${result.search}` });
    expect(page.body).toContain('Access was not granted');
    expect(await status(u.auth)).toMatchObject({ connected: false, status: 'pending_authorization' });
  });

  it('a replayed callback is refused', async () => {
    const u = await registerUser(t.app);
    const person = t.sandbox.people.createPerson();
    const start = await startAuthorize(t.app, u.auth, person.id);
    const back = await consentWithForm(start.authorization_url, { action: 'allow', personId: person.id });
    expect(resultOf(await deliverCallback(t.app, back))).toMatchObject({ status: 'connected' });
    expect(resultOf(await deliverCallback(t.app, back))).toMatchObject({
      status: 'error',
      code: 'INVALID_STATE',
    });
  });

  it('forged or missing state is refused without calling the token endpoint', async () => {
    t.sandbox.admin.resetRequestLog();
    const forged = await deliverCallback(
      t.app,
      `http://localhost:8000/integrations/fitbit/callback?code=abc&state=${oauth.generateRandomState()}`,
    );
    expect(resultOf(forged)).toMatchObject({ status: 'error', code: 'INVALID_STATE' });
    const missing = await deliverCallback(
      t.app,
      'http://localhost:8000/integrations/fitbit/callback?code=abc',
    );
    expect(resultOf(missing)).toMatchObject({ status: 'error', code: 'INVALID_STATE' });
    expect(t.sandbox.admin.requestLog().byEndpoint['POST /token']).toBeUndefined();
  });

  it("another user's state never links an account to anyone else", async () => {
    const a = await registerUser(t.app);
    const b = await registerUser(t.app);
    const personB = t.sandbox.people.createPerson();
    const stateA = await startAuthorize(t.app, a.auth);
    const startB = await startAuthorize(t.app, b.auth, personB.id);
    // B consents in their own flow, then swaps in A's state: the code is bound to B's PKCE challenge.
    const backB = new URL(
      await consentWithForm(startB.authorization_url, { action: 'allow', personId: personB.id }),
    );
    backB.searchParams.set('state', stateA.state);
    expect(resultOf(await deliverCallback(t.app, backB.toString()))).toMatchObject({
      status: 'error',
      code: 'EXCHANGE_FAILED',
    });
    expect((await status(a.auth)).connected).toBe(false);
    expect((await status(b.auth)).connected).toBe(false);

    // A's own flow links A, and only A.
    const personA = t.sandbox.people.createPerson();
    await connectFitbit(t.app, a.auth, personA.id);
    expect(await status(a.auth)).toMatchObject({ connected: true, vendor_user_id: personA.id });
    expect((await status(b.auth)).connected).toBe(false);
  });

  it('an expired state is refused (clock moved past 10 minutes)', async () => {
    const u = await registerUser(t.app);
    const person = t.sandbox.people.createPerson();
    const start = await startAuthorize(t.app, u.auth, person.id);
    const back = await consentWithForm(start.authorization_url, { action: 'allow', personId: person.id });
    offsetMs = 10 * 60_000 + 1000;
    try {
      expect(resultOf(await deliverCallback(t.app, back))).toMatchObject({
        status: 'error',
        code: 'STATE_EXPIRED',
      });
    } finally {
      offsetMs = 0;
    }
    expect((await status(u.auth)).connected).toBe(false);
  });

  it('a PKCE verifier that does not match the challenge fails the exchange', async () => {
    const u = await registerUser(t.app);
    const person = t.sandbox.people.createPerson();
    const start = await startAuthorize(t.app, u.auth, person.id);
    const stateHash = createHash('sha256').update(start.state).digest('base64url');
    await t.deps.db
      .updateTable('oauth_states')
      .set({
        code_verifier: t.deps.vault.seal(oauth.generateRandomCodeVerifier(), oauthStateContext(stateHash)),
      })
      .where('state_hash', '=', stateHash)
      .execute();
    const back = await consentWithForm(start.authorization_url, { action: 'allow', personId: person.id });
    expect(resultOf(await deliverCallback(t.app, back))).toMatchObject({
      status: 'error',
      code: 'EXCHANGE_FAILED',
    });
    expect((await status(u.auth)).connected).toBe(false);
  });

  it('a token endpoint outage during the exchange reports VENDOR_UNAVAILABLE', async () => {
    const u = await registerUser(t.app);
    const person = t.sandbox.people.createPerson();
    const start = await startAuthorize(t.app, u.auth, person.id);
    const back = await consentWithForm(start.authorization_url, { action: 'allow', personId: person.id });
    t.sandbox.admin.injectFaults({ target: 'oauth', status: 503 });
    try {
      expect(resultOf(await deliverCallback(t.app, back))).toMatchObject({
        status: 'error',
        code: 'VENDOR_UNAVAILABLE',
      });
    } finally {
      t.sandbox.admin.clearFaults();
    }
    expect((await status(u.auth)).connected).toBe(false);
  });

  it('OAUTH_SUCCESS_REDIRECT replaces the built-in result page', async () => {
    const other = await withSandbox({
      sandbox: { autoConsent: true },
      app: { env: { OAUTH_SUCCESS_REDIRECT: 'https://app.example.test/connected?from=phr' } },
    });
    try {
      const u = await registerUser(other.app);
      const start = await startAuthorize(other.app, u.auth);
      const result = await deliverCallback(other.app, await consentAutomatically(start.authorization_url));
      expect(result.origin).toBe('https://app.example.test');
      expect(resultOf(result)).toEqual({ from: 'phr', status: 'connected', vendor: 'fitbit' });
    } finally {
      await other.close();
    }
  });
});
