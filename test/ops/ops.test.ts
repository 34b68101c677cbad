import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { METRICS_TOKEN: 'metrics-secret' } });
});
afterAll(async () => t?.close());

describe('operations', () => {
  it('healthz, readyz', async () => {
    expect((await t.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', jobs: 'ok' } });
  });

  it('metrics need the metrics token when one is configured', async () => {
    expect((await t.app.inject('/metrics')).statusCode).toBe(401);
    const res = await t.app.inject({ url: '/metrics', headers: { authorization: 'Bearer metrics-secret' } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('http_requests_total');
    for (const authorization of [
      'Bearer metrics-secreT',
      'Bearer metrics-secret2',
      'Bearer metrics-secre',
      'Bearer ',
      'Basic metrics-secret',
      'metrics-secret',
    ]) {
      const refused = await t.app.inject({ url: '/metrics', headers: { authorization } });
      expect(refused.statusCode, authorization).toBe(401);
      expect(refused.body).not.toContain('http_requests_total');
    }
  });

  it('serves OpenAPI with the contract routes, and the docs UI', async () => {
    const doc = (await t.app.inject('/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/auth/register', '/auth/login', '/auth/refresh', '/auth/logout', '/auth/me']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect((await t.app.inject('/docs')).statusCode).toBeLessThan(400);
  });

  it('answers problem+json for unknown routes, echoes request ids, sets security headers', async () => {
    const res = await t.app.inject({ url: '/nope', headers: { 'x-request-id': 'abc-123' } });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.headers['x-request-id']).toBe('abc-123');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    // On errors raised after the headers were set (auth) and on successful replies alike.
    for (const other of [await t.app.inject('/health/observations'), await t.app.inject('/healthz')]) {
      expect(other.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(other.headers['strict-transport-security']).toContain('max-age=');
      expect(other.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    }
  });

  it('lets no cache keep API answers (health data, tokens), but lets the dashboard files be revalidated', async () => {
    const u = await registerUser(t.app);
    const login = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: u.email, password: 'correct horse battery' },
    });
    expect(login.statusCode).toBe(200);
    for (const res of [
      login,
      await t.app.inject({ url: '/health/observations', headers: u.auth }),
      await t.app.inject({ url: '/health/observations', headers: { ...u.auth, 'accept-encoding': 'gzip' } }),
      await t.app.inject({ url: '/auth/me', headers: u.auth }),
      await t.app.inject('/health/observations'), // 401
    ]) {
      expect(res.headers['cache-control']).toBe('no-store');
    }
    expect((await t.app.inject('/app')).headers['cache-control']).toBe('no-cache');
    expect((await t.app.inject('/app/app.js')).headers['cache-control']).toBe('no-cache');
    expect((await t.app.inject('/app/vendor/uPlot.iife.min.js')).headers['cache-control']).toBe('no-cache');
  });

  it('CORS allows only configured origins', async () => {
    const c = await createTestApp({ env: { CORS_ORIGINS: 'https://app.example' } });
    try {
      const ok = await c.app.inject({ url: '/healthz', headers: { origin: 'https://app.example' } });
      expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
      const bad = await c.app.inject({ url: '/healthz', headers: { origin: 'https://evil.example' } });
      expect(bad.headers['access-control-allow-origin']).toBeUndefined();
      // A route that varies with Accept-Encoding too keeps CORS's Vary: Origin.
      const u = await registerUser(c.app);
      const page = await c.app.inject({
        url: '/health/observations',
        headers: { ...u.auth, origin: 'https://app.example' },
      });
      expect(String(page.headers.vary).toLowerCase().split(/,\s*/).sort()).toEqual([
        'accept-encoding',
        'origin',
      ]);
    } finally {
      await c.close();
    }
  });
});
