import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNKS_FROM } from '../../src/http/chunks-body.ts';
import { createTestApp, registerUser, type TestApp, uniqueEmail } from '../helpers/app.ts';
import { heartRateHour, patientIdOf, stepsDays, storeMeasurements } from '../helpers/observations.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const GZIP = { 'accept-encoding': 'gzip' };

describe('answers gzip-encoded for clients that accept it', () => {
  it('the FHIR search the Flutter app makes (and any JSON answer over 1 kB)', async () => {
    const u = await registerUser(t.app);
    await storeMeasurements(t, u.id, [
      ...stepsDays('2026-03-01', 30),
      ...Array.from({ length: 24 }, (_, h) =>
        heartRateHour(`2026-03-01T${String(h).padStart(2, '0')}:00:00+01:00`, 70),
      ),
    ]);
    const url = `/fhir/Observation?patient=${await patientIdOf(t, u.id)}&_count=1000&_sort=-date`;
    const plain = await t.app.inject({ url, headers: u.auth });
    expect(plain.headers['content-encoding']).toBeUndefined();
    const gzip = await t.app.inject({ url, headers: { ...u.auth, ...GZIP } });
    expect(gzip.statusCode).toBe(200);
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gzip.headers.vary).toMatch(/accept-encoding/i);
    expect(gzip.rawPayload.length).toBeLessThan(plain.rawPayload.length / 5);
    expect(JSON.parse(gunzipSync(gzip.rawPayload).toString()).entry).toHaveLength(54);
  });

  it('streams exports through gzip', async () => {
    const u = await registerUser(t.app);
    await storeMeasurements(t, u.id, stepsDays('2026-03-01', 60));
    const url = '/health/export?format=csv&type=steps';
    const plain = await t.app.inject({ url, headers: u.auth });
    const gzip = await t.app.inject({ url, headers: { ...u.auth, ...GZIP } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.rawPayload).toString()).toBe(plain.body);
  });

  it('leaves small answers, errors and refusing clients alone', async () => {
    const u = await registerUser(t.app);
    const me = await t.app.inject({ url: '/auth/me', headers: { ...u.auth, ...GZIP } });
    expect(me.headers['content-encoding']).toBeUndefined();
    const bad = await t.app.inject({ url: '/health/observations?limit=0', headers: { ...u.auth, ...GZIP } });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-encoding']).toBeUndefined();
    const docs = await t.app.inject({ url: '/openapi.json', headers: { 'accept-encoding': 'gzip;q=0' } });
    expect(docs.headers['content-encoding']).toBeUndefined();
    expect((await t.app.inject({ url: '/openapi.json', headers: GZIP })).headers['content-encoding']).toBe(
      'gzip',
    );
  });

  it('does not take compressed request bodies: a gzip-encoded valid login is not a login', async () => {
    const { gzipSync } = await import('node:zlib');
    const u = await registerUser(t.app);
    const login = JSON.stringify({ email: u.email, password: 'correct horse battery' });
    const compressed = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync(login),
    });
    // The bytes are read as they are, not inflated: not JSON, so the body field is named.
    expect(compressed.statusCode).toBe(400);
    expect(compressed.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'body', message: 'is not valid JSON' }],
    });
    const plain = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: login,
    });
    expect(plain.statusCode).toBe(200);
    expect(plain.json()).toMatchObject({ user: { id: u.id } });
  });
});

describe('the observations page over a real socket (sent as chunks: src/http/chunks-body.ts)', () => {
  it('plain and gzip bytes are the JSON the API renders, with their length; HEAD has the length only', async () => {
    const u = await registerUser(t.app);
    await storeMeasurements(
      t,
      u.id,
      Array.from({ length: 24 }, (_, h) =>
        heartRateHour(`2026-03-01T${String(h).padStart(2, '0')}:00:00+01:00`, 70),
      ),
    );
    const path = '/health/observations?type=heart_rate&limit=24';
    const expected = (await t.app.inject({ url: path, headers: u.auth })).json() as { items: unknown[] };
    expect(expected.items).toHaveLength(24);
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const plain = await fetch(`${address}${path}`, { headers: { ...u.auth, 'accept-encoding': 'identity' } });
    const plainBytes = Buffer.from(await plain.arrayBuffer());
    expect(plain.headers.get('content-length')).toBe(String(plainBytes.length));
    // Large enough to go as chunks; its gzip form (below) is joined.
    expect(plainBytes.length).toBeGreaterThanOrEqual(CHUNKS_FROM);
    expect(JSON.parse(plainBytes.toString())).toEqual(expected);
    // fetch would decompress; node:http hands over the bytes as sent.
    const { request } = await import('node:http');
    const gzip = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      request(`${address}${path}`, { headers: { ...u.auth, ...GZIP } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(parts) }));
      })
        .on('error', reject)
        .end();
    });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gzip.headers['content-length']).toBe(String(gzip.body.length));
    expect(JSON.parse(gunzipSync(gzip.body).toString())).toEqual(expected);
    const head = await fetch(`${address}${path}`, {
      method: 'HEAD',
      headers: { ...u.auth, 'accept-encoding': 'identity' },
    });
    expect(head.headers.get('content-length')).toBe(String(plainBytes.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });
});

describe('answers that carry tokens', () => {
  it('are never compressed: their routes have no compression hook at all', async () => {
    // They stay under the 1 kB threshold (bounded fields), so this is checked on the routes
    // themselves: with compression they would carry its onSend hook, as /auth/logout does.
    const routes = t.app.printRoutes({ includeHooks: true, commonPrefix: false, method: 'POST' });
    const hooksOf = (url: string) => {
      const start = routes.indexOf(`${url} (POST)`);
      const end = routes.indexOf('(POST)', start + url.length + 7);
      return routes.slice(start, end === -1 ? undefined : end);
    };
    for (const url of ['/auth/register', '/auth/login', '/auth/refresh']) {
      expect(hooksOf(url)).toContain('(onRequest)');
      expect(hooksOf(url)).not.toContain('(onSend)');
    }
    expect(hooksOf('/auth/logout')).toContain('(onSend)');
    const email = uniqueEmail();
    const res = await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      headers: GZIP,
      payload: { email, password: 'correct horse battery' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-encoding']).toBeUndefined();
  });
});
