import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type SandboxTestApp, withSandbox } from '../helpers/app.ts';
import {
  Browser,
  connectFitbit,
  consentWithForm,
  deliverCallback,
  startAuthorize,
  startAuthorizeInBrowser,
} from '../helpers/flow.ts';

// The consent link is bound to the browser that asked for it (RFC 9700 §4.7.1), and one vendor
// account links to one local account. The attack: Mallory starts a connect flow with her own
// account and sends the consent URL to Victor; were the callback to trust the state alone,
// Victor's consent would link his health data to Mallory's account.

let t: SandboxTestApp;
beforeAll(async () => {
  t = await withSandbox();
});
afterAll(async () => t?.close());

const resultOf = (url: URL) => Object.fromEntries(url.searchParams);
const status = async (auth: { authorization: string }) =>
  (await t.app.inject({ url: '/integrations/fitbit/status', headers: auth })).json();
/** Authorization codes of this person's grant that reached the sandbox's token endpoint. */
const codesRedeemedFor = (personId: string) =>
  t.sandbox.admin
    .requestLog()
    .grants.filter((g) => g.personId === personId)
    .reduce((n, g) => n + g.tokenRequests.authorization_code, 0);
const bindingOf = (setCookie: unknown) => /phr_oauth_binding=([^;]+)/.exec(String(setCookie))?.[1];

describe('OAuth flow bound to the browser that started it', () => {
  it('phishing with a JSON start: the victim consents, nothing links and the code is never redeemed', async () => {
    const mallory = await registerUser(t.app);
    const victor = t.sandbox.people.createPerson();
    const start = await startAuthorize(t.app, mallory.auth, undefined, new Browser());
    // Victor's own browser, which never talked to the app.
    const victorsBrowser = new Browser();
    const back = await consentWithForm(start.authorization_url, { action: 'allow', personId: victor.id });
    const result = await deliverCallback(t.app, back, victorsBrowser);
    expect(resultOf(result)).toEqual({ status: 'error', code: 'BROWSER_MISMATCH', vendor: 'fitbit' });
    const page = await t.app.inject({ url: `${result.pathname}${result.search}` });
    expect(page.body).toContain('not started in this browser');
    expect(codesRedeemedFor(victor.id)).toBe(0);
    expect(await status(mallory.auth)).toMatchObject({ connected: false, vendor_user_id: null });
  });

  it('phishing with a ?token= start (the PHR-App form) fails the same way', async () => {
    const mallory = await registerUser(t.app);
    const victor = t.sandbox.people.createPerson();
    const consentUrl = await startAuthorizeInBrowser(t.app, mallory.accessToken, new Browser());
    // Victor has used the app himself, so his browser holds a binding of its own.
    const victorsBrowser = new Browser();
    const victorsAccount = await registerUser(t.app);
    await startAuthorize(t.app, victorsAccount.auth, undefined, victorsBrowser);
    expect(victorsBrowser.headers().cookie).toMatch(/^phr_oauth_binding=/);

    const back = await consentWithForm(consentUrl, { action: 'allow', personId: victor.id });
    expect(resultOf(await deliverCallback(t.app, back, victorsBrowser))).toMatchObject({
      status: 'error',
      code: 'BROWSER_MISMATCH',
    });
    expect(codesRedeemedFor(victor.id)).toBe(0);
    expect((await status(mallory.auth)).connected).toBe(false);
    expect((await status(victorsAccount.auth)).connected).toBe(false);
  });

  it('a wrong or malformed binding cookie fails, and the refused state is spent', async () => {
    const u = await registerUser(t.app);
    const person = t.sandbox.people.createPerson();
    const browser = new Browser();
    const refusedFlow = async (cookie: string) => {
      const start = await startAuthorize(t.app, u.auth, person.id, browser);
      const right = bindingOf(browser.headers().cookie);
      const back = new URL(
        await consentWithForm(start.authorization_url, { action: 'allow', personId: person.id }),
      );
      const res = await t.app.inject({
        url: `${back.pathname}${back.search}`,
        headers: { cookie: cookie.replace('<right>', right ?? '') },
      });
      expect(res.statusCode).toBe(302);
      expect(resultOf(new URL(String(res.headers.location), 'http://app.invalid'))).toMatchObject({
        status: 'error',
        code: 'BROWSER_MISMATCH',
      });
      return back.toString();
    };
    for (const cookie of [
      `phr_oauth_binding=${'A'.repeat(43)}`,
      'phr_oauth_binding=<right>x',
      'phr_oauth_binding="<right>"',
      'phr_oauth_binding=',
      'other=<right>',
    ])
      await refusedFlow(cookie);
    // Refused on a mismatch, the state is spent: the right browser, coming later, starts again.
    const spent = await refusedFlow('');
    expect(resultOf(await deliverCallback(t.app, spent, browser))).toMatchObject({ code: 'INVALID_STATE' });
    expect(codesRedeemedFor(person.id)).toBe(0);
    expect((await status(u.auth)).connected).toBe(false);
    await connectFitbit(t.app, u.auth, person.id);
  });

  it('the dashboard flow (JSON start, same-origin cookie) connects; the cookie is HttpOnly, Lax, path-scoped', async () => {
    const u = await registerUser(t.app);
    const person = t.sandbox.people.createPerson();
    const res = await t.app.inject({ url: '/integrations/fitbit/authorize', headers: u.auth });
    expect(res.statusCode).toBe(200);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^phr_oauth_binding=[A-Za-z0-9_-]{43}; /);
    expect(setCookie.split('; ').slice(1).sort()).toEqual(
      ['HttpOnly', 'Max-Age=600', 'Path=/integrations', 'SameSite=Lax'].sort(),
    );
    expect(res.body).not.toContain(bindingOf(setCookie));

    const browser = new Browser();
    browser.receive(res.headers['set-cookie']);
    const back = await consentWithForm(res.json().authorization_url, {
      action: 'allow',
      personId: person.id,
    });
    expect(resultOf(await deliverCallback(t.app, back, browser))).toEqual({
      status: 'connected',
      vendor: 'fitbit',
    });
    expect(await status(u.auth)).toMatchObject({ connected: true, vendor_user_id: person.id });
  });

  it('the PHR-App flow (?token= redirect, cookie set with the redirect) connects', async () => {
    const u = await registerUser(t.app);
    const person = t.sandbox.people.createPerson();
    const browser = new Browser();
    const consentUrl = await startAuthorizeInBrowser(t.app, u.accessToken, browser);
    expect(browser.headers().cookie).toMatch(/^phr_oauth_binding=/);
    const back = await consentWithForm(consentUrl, { action: 'allow', personId: person.id });
    expect(resultOf(await deliverCallback(t.app, back, browser))).toMatchObject({ status: 'connected' });
    expect(await status(u.auth)).toMatchObject({ connected: true, vendor_user_id: person.id });
  });

  it('two flows started in one browser share its binding and both connect', async () => {
    const [a, b] = [await registerUser(t.app), await registerUser(t.app)];
    const [personA, personB] = [t.sandbox.people.createPerson(), t.sandbox.people.createPerson()];
    const browser = new Browser();
    const first = await t.app.inject({ url: '/integrations/fitbit/authorize', headers: a.auth });
    browser.receive(first.headers['set-cookie']);
    const second = await t.app.inject({
      url: '/integrations/fitbit/authorize',
      headers: { ...b.auth, ...browser.headers() },
    });
    expect(bindingOf(second.headers['set-cookie'])).toBe(bindingOf(first.headers['set-cookie']));
    const backB = await consentWithForm(second.json().authorization_url, {
      action: 'allow',
      personId: personB.id,
    });
    const backA = await consentWithForm(first.json().authorization_url, {
      action: 'allow',
      personId: personA.id,
    });
    expect(resultOf(await deliverCallback(t.app, backB, browser))).toMatchObject({ status: 'connected' });
    expect(resultOf(await deliverCallback(t.app, backA, browser))).toMatchObject({ status: 'connected' });
    expect(await status(a.auth)).toMatchObject({ connected: true, vendor_user_id: personA.id });
    expect(await status(b.auth)).toMatchObject({ connected: true, vendor_user_id: personB.id });
  });

  it('the cookie is Secure when the public URL is https, and scoped under its path', async () => {
    const app = await createTestApp({ env: { PUBLIC_BASE_URL: 'https://phr.example.test/api' } });
    try {
      const u = await registerUser(app.app);
      const res = await app.app.inject({ url: '/integrations/fitbit/authorize', headers: u.auth });
      expect(res.statusCode).toBe(200);
      const attributes = String(res.headers['set-cookie']).split('; ');
      expect(attributes).toContain('Secure');
      expect(attributes).toContain('Path=/api/integrations');
    } finally {
      await app.close();
    }
  });
});

describe('one vendor account, one local account', () => {
  it('a vendor account linked to another user is refused and that user keeps a working link', async () => {
    const first = await registerUser(t.app);
    const second = await registerUser(t.app);
    const person = t.sandbox.people.createPerson();
    await connectFitbit(t.app, first.auth, person.id);
    const [integration] = (await t.app.inject({ url: '/integrations/vendors', headers: first.auth })).json()
      .integrations;

    const start = await startAuthorize(t.app, second.auth, person.id);
    const back = await consentWithForm(start.authorization_url, { action: 'allow', personId: person.id });
    const result = await deliverCallback(t.app, back);
    expect(resultOf(result)).toEqual({
      status: 'error',
      code: 'VENDOR_ACCOUNT_LINKED_ELSEWHERE',
      vendor: 'fitbit',
    });
    const page = await t.app.inject({ url: `${result.pathname}${result.search}` });
    expect(page.body).toContain('already connected to another account');
    expect(await status(second.auth)).toMatchObject({ connected: false, vendor_user_id: null });
    const [refused] = (await t.app.inject({ url: '/integrations/vendors', headers: second.auth })).json()
      .integrations;
    expect(await t.deps.vault.readTokens(t.deps.db, refused.id)).toBeUndefined();

    // The first link is untouched: same vendor account, its grant not revoked, its token still works.
    expect(await status(first.auth)).toMatchObject({ connected: true, vendor_user_id: person.id });
    expect(t.sandbox.admin.requestLog().grants.filter((g) => g.personId === person.id)).toEqual([
      expect.objectContaining({ revoked: false }),
    ]);
    const token = await t.deps.accessTokens.getAccessToken(integration.id);
    const identity = await fetch(`${t.sandbox.url}/v4/users/me/identity`, {
      headers: { authorization: `Bearer ${token.accessToken.reveal()}` },
    });
    await identity.body?.cancel();
    expect(identity.status).toBe(200);
  });

  it('the same user reconnecting the same vendor account works, and a disconnected link frees it', async () => {
    const first = await registerUser(t.app);
    const second = await registerUser(t.app);
    const person = t.sandbox.people.createPerson();
    await connectFitbit(t.app, first.auth, person.id);
    await connectFitbit(t.app, first.auth, person.id);
    expect(await status(first.auth)).toMatchObject({ connected: true, vendor_user_id: person.id });

    const off = await t.app.inject({
      method: 'POST',
      url: '/integrations/vendors/disconnect',
      headers: first.auth,
      payload: { vendor: 'fitbit' },
    });
    expect(off.statusCode).toBe(200);
    await connectFitbit(t.app, second.auth, person.id);
    expect(await status(second.auth)).toMatchObject({ connected: true, vendor_user_id: person.id });
  });
});
