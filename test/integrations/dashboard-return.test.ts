// A connect flow begun in the web dashboard (authorize sent with x-phr-session: cookie) comes back
// to the dashboard when OAUTH_SUCCESS_REDIRECT is unset; one begun elsewhere (the PHR-App) still
// ends on the result page. The return cookie is HttpOnly, scoped to /integrations, spent on return.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type SandboxTestApp, withSandbox } from '../helpers/app.ts';
import { Browser, consentWithForm } from '../helpers/flow.ts';

let t: SandboxTestApp;
beforeAll(async () => {
  t = await withSandbox({});
});
afterAll(async () => t?.close());

async function connectFrom(headers: Record<string, string>) {
  const u = await registerUser(t.app);
  const person = t.sandbox.people.createPerson();
  const browser = new Browser();
  const res = await t.app.inject({
    url: `/integrations/fitbit/authorize?login_hint=${person.id}`,
    headers: { ...u.auth, ...headers },
  });
  expect(res.statusCode, res.body).toBe(200);
  const cookies = [res.headers['set-cookie'] ?? []].flat().map(String);
  browser.receive(cookies);
  const back = await consentWithForm(res.json().authorization_url, { action: 'allow', personId: person.id });
  const url = new URL(back);
  const callback = await t.app.inject({ url: `${url.pathname}${url.search}`, headers: browser.headers() });
  return { cookies, callback };
}

describe('return to the dashboard after consent', () => {
  it('brings a flow begun in the dashboard back to /app/ and spends the return cookie', async () => {
    const { cookies, callback } = await connectFrom({ 'x-phr-session': 'cookie' });
    const ret = cookies.find((c) => c.startsWith('phr_oauth_return='));
    expect(ret).toMatch(/^phr_oauth_return=app; Path=\/integrations; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
    expect(callback.statusCode).toBe(302);
    expect(callback.headers.location).toBe('/app/?status=connected&vendor=fitbit');
    expect(String(callback.headers['set-cookie'])).toMatch(
      /^phr_oauth_return=app; Path=\/integrations; Max-Age=0/,
    );
  });

  it('leaves any other flow on the result page', async () => {
    const { cookies, callback } = await connectFrom({});
    expect(cookies.some((c) => c.startsWith('phr_oauth_return='))).toBe(false);
    expect(callback.statusCode).toBe(302);
    expect(callback.headers.location).toBe('/integrations/oauth/result?status=connected&vendor=fitbit');
    expect(callback.headers['set-cookie']).toBeUndefined();
  });
});
