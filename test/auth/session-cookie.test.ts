/**
 * The dashboard's sign-in cookie: asked for with x-phr-session, HttpOnly + SameSite=Strict, scoped
 * to /auth/session, never in the body; the cookie routes refuse a request without the header (the
 * CSRF guard), rotate the token, revoke the session when a spent one comes back, and sign-out
 * clears it. Apps that do not ask get the JSON pair as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, uniqueEmail } from '../helpers/app.ts';

let t: TestApp;
let secure: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  secure = await createTestApp({ env: { PUBLIC_BASE_URL: 'https://phr.example.org/api' } });
});
afterAll(async () => {
  await t?.close();
  await secure?.close();
});

const PASSWORD = 'correct horse battery';
const DASHBOARD = { 'x-phr-session': 'cookie' };

function cookieOf(setCookie: string | string[] | undefined): string {
  const line = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  expect(line).toBeDefined();
  return String(line).split(';')[0] as string;
}

async function signUp(app: TestApp, headers: Record<string, string> = DASHBOARD) {
  const res = await app.app.inject({
    method: 'POST',
    url: '/auth/register',
    headers,
    payload: { email: uniqueEmail('cookie'), password: PASSWORD },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res;
}

describe('sign-in cookie', () => {
  it('is set only when asked for, and then the body carries no refresh token', async () => {
    const app = await signUp(t, {});
    expect(app.headers['set-cookie']).toBeUndefined();
    expect(app.json().refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const dash = await signUp(t);
    expect(dash.json().refresh_token).toBeUndefined();
    expect(dash.json().access_token).toBeTruthy();
    const line = String(dash.headers['set-cookie']);
    expect(line).toMatch(/^phr_refresh=[A-Za-z0-9_-]{43}; /);
    expect(line).toContain('Path=/auth/session');
    expect(line).toContain('HttpOnly');
    expect(line).toContain('SameSite=Strict');
    expect(line).toContain('Max-Age=2592000');
    expect(line).not.toContain('Secure');

    const login = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: DASHBOARD,
      payload: { email: JSON.parse(dash.payload).user.email, password: PASSWORD },
    });
    expect(login.statusCode).toBe(200);
    expect(login.json().refresh_token).toBeUndefined();
    expect(String(login.headers['set-cookie'])).toMatch(/^phr_refresh=/);
  });

  it('is Secure and under the base path when the public URL is https behind a prefix', async () => {
    const line = String((await signUp(secure)).headers['set-cookie']);
    expect(line).toContain('Path=/api/auth/session');
    expect(line).toContain('Secure');
  });

  it('renews the sign-in, rotating the cookie; a spent cookie presented again ends the session', async () => {
    const first = cookieOf((await signUp(t)).headers['set-cookie']);
    const renewed = await t.app.inject({
      method: 'POST',
      url: '/auth/session/refresh',
      headers: { ...DASHBOARD, cookie: first },
    });
    expect(renewed.statusCode, renewed.body).toBe(200);
    expect(renewed.json().refresh_token).toBeUndefined();
    const second = cookieOf(renewed.headers['set-cookie']);
    expect(second).not.toBe(first);
    const me = await t.app.inject({
      url: '/auth/me',
      headers: { authorization: `Bearer ${renewed.json().access_token}` },
    });
    expect(me.statusCode).toBe(200);

    // The old cookie again (stolen and replayed): refused, and the whole session with it.
    const replay = await t.app.inject({
      method: 'POST',
      url: '/auth/session/refresh',
      headers: { ...DASHBOARD, cookie: first },
    });
    expect(replay.statusCode).toBe(401);
    expect(String(replay.headers['set-cookie'])).toContain('Max-Age=0');
    const after = await t.app.inject({
      method: 'POST',
      url: '/auth/session/refresh',
      headers: { ...DASHBOARD, cookie: second },
    });
    expect(after.statusCode).toBe(401);
  });

  it('refuses the cookie routes without the custom header (CSRF), naming it', async () => {
    const cookie = cookieOf((await signUp(t)).headers['set-cookie']);
    for (const url of ['/auth/session/refresh', '/auth/session/logout']) {
      const res = await t.app.inject({ method: 'POST', url, headers: { cookie } });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toContain('x-phr-session');
    }
    // The cookie still works with the header: nothing was spent by the refused requests.
    const ok = await t.app.inject({
      method: 'POST',
      url: '/auth/session/refresh',
      headers: { ...DASHBOARD, cookie },
    });
    expect(ok.statusCode).toBe(200);
  });

  it('answers 204 (nothing to renew) without the cookie, 401 with a malformed or unknown one', async () => {
    for (const cookie of [undefined, 'other=1']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/auth/session/refresh',
        headers: cookie ? { ...DASHBOARD, cookie } : DASHBOARD,
      });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
    }
    for (const cookie of ['phr_refresh=nope', `phr_refresh=${'A'.repeat(43)}`]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/auth/session/refresh',
        headers: { ...DASHBOARD, cookie },
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('INVALID_REFRESH_TOKEN');
    }
  });

  it('signs out: clears the cookie and ends the session and its access token', async () => {
    const res = await signUp(t);
    const cookie = cookieOf(res.headers['set-cookie']);
    const access = res.json().access_token as string;
    const out = await t.app.inject({
      method: 'POST',
      url: '/auth/session/logout',
      headers: { ...DASHBOARD, cookie },
    });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^phr_refresh=; .*Max-Age=0/);
    const again = await t.app.inject({
      method: 'POST',
      url: '/auth/session/refresh',
      headers: { ...DASHBOARD, cookie },
    });
    expect(again.statusCode).toBe(401);
    const me = await t.app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${access}` } });
    expect(me.statusCode).toBe(401);
  });
});
