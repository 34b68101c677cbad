import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp, uniqueEmail } from '../helpers/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

describe('accounts', () => {
  it('register -> me -> refresh -> logout', async () => {
    const email = uniqueEmail();
    const reg = await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email, password: 'correct horse battery' },
    });
    expect(reg.statusCode).toBe(201);
    const body = reg.json();
    expect(body).toMatchObject({
      user: { email, name: email.split('@')[0] },
      token_type: 'Bearer',
      expires_in: 900,
    });
    expect(Number.isInteger(body.user.id)).toBe(true);

    const me = await t.app.inject({
      url: '/auth/me',
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(me.statusCode).toBe(200);
    const meBody = me.json();
    expect(meBody).toMatchObject({ id: body.user.id, email, name: email.split('@')[0] });
    expect(typeof meBody.fhir_patient_id).toBe('string');
    expect(meBody.fhir_patient_id.length).toBeGreaterThan(0);

    const refreshed = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: body.refresh_token },
    });
    expect(refreshed.statusCode).toBe(200);
    const pair = refreshed.json();
    expect(pair.refresh_token).not.toBe(body.refresh_token);

    const out = await t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { authorization: `Bearer ${pair.access_token}` },
      payload: { refresh_token: pair.refresh_token },
    });
    expect(out.statusCode).toBe(204);
    const after = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: pair.refresh_token },
    });
    expect(after.statusCode).toBe(401);
  });

  it('logout without a body revokes every refresh token of the user', async () => {
    const u = await registerUser(t.app);
    const out = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: u.auth });
    expect(out.statusCode).toBe(204);
    const after = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: u.refreshToken },
    });
    expect(after.statusCode).toBe(401);
  });

  it('login works and wrong credentials answer identically for unknown email', async () => {
    const u = await registerUser(t.app, { name: 'Ada' });
    const ok = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: u.email.toUpperCase(), password: 'correct horse battery' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().user.name).toBe('Ada');

    const wrong = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: u.email, password: 'nope nope' },
    });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: uniqueEmail(), password: 'nope nope' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const strip = (b: { instance?: string }) => ({ ...b, instance: undefined });
    expect(strip(wrong.json())).toEqual(strip(unknown.json()));
  });

  it('duplicate register is 409 (case-insensitive email)', async () => {
    const u = await registerUser(t.app);
    const dup = await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: u.email.toUpperCase(), password: 'another password' },
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.headers['content-type']).toContain('application/problem+json');
    expect(dup.json().code).toBe('EMAIL_TAKEN');
  });

  it('reuse of a spent refresh token revokes the whole family', async () => {
    const u = await registerUser(t.app);
    const first = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: u.refreshToken },
    });
    expect(first.statusCode).toBe(200);
    const child = first.json().refresh_token as string;
    const reuse = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: u.refreshToken },
    });
    expect(reuse.statusCode).toBe(401);
    const childAfter = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: child },
    });
    expect(childAfter.statusCode).toBe(401);
  });

  it('malformed and oversized input is a 4xx naming the field', async () => {
    const cases = [
      { payload: { email: 'not-an-email', password: 'long enough pw' }, field: 'email' },
      { payload: { email: uniqueEmail(), password: 'short' }, field: 'password' },
      { payload: { email: uniqueEmail() }, field: 'password' },
      { payload: { email: uniqueEmail(), password: 12345678901 }, field: 'password' },
      { payload: { email: uniqueEmail(), password: 'long enough pw', admin: true }, field: 'admin' },
      { payload: { email: uniqueEmail(), password: 'x'.repeat(300) }, field: 'password' },
    ];
    for (const c of cases) {
      const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload: c.payload });
      expect(res.statusCode, JSON.stringify(c.payload)).toBe(400);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(c.field);
    }
    const broken = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": ',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().errors[0].field).toBe('body');
    const huge = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: uniqueEmail(), password: 'x'.repeat(2_000_000) },
    });
    expect(huge.statusCode).toBe(413);
  });
});

describe('access tokens', () => {
  const secret = () => new TextEncoder().encode(t.deps.config.jwt.secret!);
  const me = (token: string) =>
    t.app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${token}` } });

  it('rejects missing, alg none, wrong key, expired, tampered, wrong audience', async () => {
    const u = await registerUser(t.app);
    expect((await t.app.inject({ url: '/auth/me' })).statusCode).toBe(401);
    const [h, p] = u.accessToken.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    expect((await me(none)).statusCode).toBe(401);
    const wrongKey = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(u.id))
      .setIssuer('phr-backend')
      .setAudience('phr-api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('x'.repeat(48)));
    expect((await me(wrongKey)).statusCode).toBe(401);
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(u.id))
      .setIssuer('phr-backend')
      .setAudience('phr-api')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(secret());
    const expiredRes = await me(expired);
    expect(expiredRes.statusCode).toBe(401);
    expect(expiredRes.json().detail).toMatch(/expired/i);
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: '999999' })).toString('base64url')}.${u.accessToken.split('.')[2]}`;
    expect((await me(tampered)).statusCode).toBe(401);
    const wrongAud = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(u.id))
      .setIssuer('phr-backend')
      .setAudience('someone-else')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(secret());
    expect((await me(wrongAud)).statusCode).toBe(401);
    expect((await me(u.accessToken)).statusCode).toBe(200);
  });
});
