import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp, uniqueEmail } from '../helpers/app.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../helpers/jobs.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '5' } });
});
afterAll(async () => t?.close());

describe('auth rate limits', () => {
  it('trips per IP', async () => {
    const ip = '203.0.113.7';
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/auth/login',
        remoteAddress: ip,
        payload: { email: uniqueEmail(), password: 'whatever pw' },
      });
      codes.push(res.statusCode);
    }
    expect(codes.slice(0, 5).every((c) => c === 401)).toBe(true);
    expect(codes.slice(5)).toEqual([429, 429]);
    // Another address is not affected.
    const other = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      remoteAddress: '203.0.113.8',
      payload: { email: uniqueEmail(), password: 'whatever pw' },
    });
    expect(other.statusCode).toBe(401);
  });

  it('trips per account, across addresses', async () => {
    const u = await registerUser(t.app, {});
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/auth/login',
        remoteAddress: `198.51.100.${i + 1}`,
        payload: { email: u.email, password: 'wrong password' },
      });
      codes.push(res.statusCode);
    }
    expect(codes.slice(0, 5).every((c) => c === 401)).toBe(true);
    expect(codes[6]).toBe(429);
    const last = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      remoteAddress: '198.51.100.99',
      payload: { email: u.email, password: 'wrong password' },
    });
    expect(last.headers['retry-after']).toBeDefined();
    expect(last.headers['content-type']).toContain('application/problem+json');
  });
});

describe('logs', () => {
  it('write one access line per request, with its status and time', async () => {
    const before = t.logs.length;
    await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'one-line-per-request' } });
    const lines = t.logs
      .slice(before)
      .join('')
      .split('\n')
      .filter((l) => l.includes('one-line-per-request'))
      .map((l) => JSON.parse(l) as { msg: string; res?: { statusCode: number }; responseTime?: number });
    expect(lines.map((l) => l.msg)).toEqual(['request completed']);
    expect(lines[0]?.res?.statusCode).toBe(200);
    expect(typeof lines[0]?.responseTime).toBe('number');
  });

  it('never contain passwords, tokens or authorization headers', async () => {
    const password = 'very-secret-password-123';
    const u = await registerUser(t.app, { password });
    await t.app.inject({ url: '/auth/me', headers: u.auth, remoteAddress: '192.0.2.50' });
    await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      remoteAddress: '192.0.2.51',
      payload: { refresh_token: u.refreshToken },
    });
    await t.app.inject({ url: `/auth/me?token=${u.accessToken}`, remoteAddress: '192.0.2.52' });
    const text = t.logs.join('');
    expect(text.length).toBeGreaterThan(0);
    expect(text).toContain('/auth/me');
    for (const secret of [password, u.accessToken, u.refreshToken, t.deps.config.jwt.secret!]) {
      expect(text).not.toContain(secret);
    }
  });
});

// With REDIS_URL, the counts live in Redis: two API processes (two apps on the same data and Redis
// prefix) share them. Redis is only set in the PostgreSQL run (npm run test:postgres).
describe.skipIf(!testRedisUrl)('auth rate limits with REDIS_URL: shared by API processes', () => {
  let a: TestApp;
  let b: TestApp;
  const prefix = uniquePrefix();
  beforeAll(async () => {
    const env = { AUTH_RATE_LIMIT_PER_MINUTE: '5', REDIS_URL: testRedisUrl ?? '', JOBS_QUEUE_PREFIX: prefix };
    a = await createTestApp({ env });
    b = await createTestApp({ env, ...(a.schema ? { sharedSchema: a.schema } : {}) });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    if (testRedisUrl) await deleteKeys(testRedisUrl, prefix);
  });
  const login = (app: TestApp, email: string, remoteAddress: string) =>
    app.app.inject({
      method: 'POST',
      url: '/auth/login',
      remoteAddress,
      payload: { email, password: 'wrong pw 1' },
    });

  it('per IP: attempts on either process count together', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 7; i++)
      codes.push((await login(i % 2 ? b : a, uniqueEmail(), '203.0.113.70')).statusCode);
    expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });

  it('per account, across addresses and processes; Redis keeps no email', async () => {
    const u = await registerUser(a.app, {});
    const codes: number[] = [];
    for (let i = 0; i < 7; i++)
      codes.push((await login(i % 2 ? b : a, u.email, `198.51.100.${70 + i}`)).statusCode);
    expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const keys = await a.deps.limits.redis?.keys(`${prefix}:limits:*`);
    expect(keys?.length).toBeGreaterThan(0);
    for (const key of keys ?? []) expect(key).not.toContain(u.email);
  });

  it('with Redis gone, logins still work and the account limit holds per process', async () => {
    const u = await registerUser(b.app, {});
    b.deps.limits.redis?.disconnect();
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await login(b, u.email, `192.0.2.${70 + i}`)).statusCode);
    expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect(b.logs.join('')).toContain('shared rate limit unavailable');
  });
});
