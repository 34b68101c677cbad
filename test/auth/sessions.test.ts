/**
 * An access token lives no longer than its session: logout ends it, erasure ends every token of the
 * account on every protected route (401: never 200 with nothing in it, never a 500).
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp, testDatabaseUrl } from '../helpers/app.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../helpers/jobs.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const PASSWORD = 'correct horse battery';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function login(app: TestApp, email: string) {
  const res = await app.app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { email, password: PASSWORD },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { access_token: string; refresh_token: string };
}

describe('logout', () => {
  it('ends the access token of that session on /auth/me and on data routes', async () => {
    const u = await registerUser(t.app);
    expect((await t.app.inject({ url: '/health/observations', headers: u.auth })).statusCode).toBe(200);
    const out = await t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: u.auth,
      payload: { refresh_token: u.refreshToken },
    });
    expect(out.statusCode).toBe(204);
    for (const url of ['/auth/me', '/health/observations', '/fhir/Observation']) {
      const res = await t.app.inject({ url, headers: u.auth });
      expect(res.statusCode, url).toBe(401);
    }
    // A new sign-in works, and its token does.
    const again = await login(t, u.email);
    expect((await t.app.inject({ url: '/auth/me', headers: bearer(again.access_token) })).statusCode).toBe(
      200,
    );
  });

  it('of one session leaves another session of the same account valid', async () => {
    const u = await registerUser(t.app);
    const second = await login(t, u.email);
    const out = await t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: bearer(second.access_token),
      payload: { refresh_token: second.refresh_token },
    });
    expect(out.statusCode).toBe(204);
    expect((await t.app.inject({ url: '/auth/me', headers: bearer(second.access_token) })).statusCode).toBe(
      401,
    );
    expect((await t.app.inject({ url: '/auth/me', headers: u.auth })).statusCode).toBe(200);
    const refreshed = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: u.refreshToken },
    });
    expect(refreshed.statusCode).toBe(200);
  });

  it('without a body ends every session of the account', async () => {
    const u = await registerUser(t.app);
    const second = await login(t, u.email);
    expect((await t.app.inject({ method: 'POST', url: '/auth/logout', headers: u.auth })).statusCode).toBe(
      204,
    );
    for (const token of [u.accessToken, second.access_token]) {
      expect((await t.app.inject({ url: '/auth/me', headers: bearer(token) })).statusCode).toBe(401);
    }
  });

  it('a refresh token presented twice ends the access tokens of its session too', async () => {
    const u = await registerUser(t.app);
    const first = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: u.refreshToken },
    });
    const pair = first.json() as { access_token: string };
    const replay = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: u.refreshToken },
    });
    expect(replay.statusCode).toBe(401);
    expect((await t.app.inject({ url: '/auth/me', headers: bearer(pair.access_token) })).statusCode).toBe(
      401,
    );
  });
});

describe('tokens issued before sessions were named (no sid)', () => {
  const legacyToken = (userId: number, sid?: string) =>
    new SignJWT(sid ? { sid } : {})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(userId))
      .setIssuer(t.deps.config.jwt.issuer)
      .setAudience(t.deps.config.jwt.audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(t.deps.config.jwt.secret));

  it('hold while the account has a live session, and end with the last one', async () => {
    const u = await registerUser(t.app);
    const old = bearer(await legacyToken(u.id));
    expect((await t.app.inject({ url: '/auth/me', headers: old })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/auth/logout', headers: u.auth })).statusCode).toBe(
      204,
    );
    expect((await t.app.inject({ url: '/auth/me', headers: old })).statusCode).toBe(401);
  });

  it('a session id that is not one of ours is refused, not an error', async () => {
    const u = await registerUser(t.app);
    for (const sid of ['not-a-uuid', '00000000-0000-4000-8000-000000000000']) {
      const res = await t.app.inject({ url: '/auth/me', headers: bearer(await legacyToken(u.id, sid)) });
      expect(res.statusCode, sid).toBe(401);
    }
  });
});

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  anyOf?: Schema[];
  oneOf?: Schema[];
  items?: Schema;
  minimum?: number;
  minLength?: number;
  default?: unknown;
};

/** A plausible value for a JSON Schema: what a client that read the OpenAPI document would send. */
function sample(s: Schema | undefined): unknown {
  if (!s) return {};
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  if (s.default !== undefined) return s.default;
  const alt = s.anyOf ?? s.oneOf;
  if (alt) return sample(alt.find((x) => x.type !== 'null') ?? alt[0]);
  const type = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const key of s.required ?? []) out[key] = NAMED_VALUES[key] ?? sample(s.properties?.[key]);
      return out;
    }
    case 'array':
      return [sample(s.items)];
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      if (s.format === 'date-time') return '2026-01-01T00:00:00Z';
      if (s.format === 'date') return '2026-01-01';
      if (s.format === 'email') return 'someone@example.test';
      if (s.format === 'uri') return 'https://example.test/';
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    default:
      return {};
  }
}

/** Fields whose schema is a plain string but whose value must name something real. */
const NAMED_VALUES: Record<string, string> = { vendor: 'fitbit', type: 'steps' };

const PATH_VALUES: Record<string, string> = {
  vendor: 'fitbit',
  id: '00000000-0000-4000-8000-000000000001',
  sync_id: '00000000-0000-4000-8000-000000000002',
};

type Operation = {
  security?: unknown[];
  parameters?: { in: string; name: string; required?: boolean; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
};

/** Every operation of the OpenAPI document that needs a bearer token, as a plausible request. */
async function protectedRequests(app: TestApp) {
  const doc = (await app.app.inject({ url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, Operation>>;
  };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([, op]) => (op.security?.length ?? 0) > 0)
      .map(([method, op]) => {
        const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => PATH_VALUES[name] ?? '1');
        const query = new URLSearchParams();
        for (const p of op.parameters ?? []) {
          if (p.in === 'query' && p.required)
            query.set(p.name, NAMED_VALUES[p.name] ?? String(sample(p.schema)));
        }
        const content = op.requestBody?.content ?? {};
        const type = Object.keys(content).find((c) => c.includes('json'));
        return {
          name: `${method.toUpperCase()} ${path}`,
          method: method.toUpperCase() as 'GET',
          url: query.size > 0 ? `${url}?${query}` : url,
          ...(type ? { payload: JSON.stringify(sample(content[type]?.schema)), contentType: type } : {}),
        };
      }),
  );
}

describe('erasure (DELETE /auth/me)', () => {
  it('ends every token of the account: 401 on every protected route, refresh refused', async () => {
    const u = await registerUser(t.app);
    const second = await login(t, u.email);
    const requests = await protectedRequests(t);
    expect(requests.length).toBeGreaterThan(15);
    const names = requests.map((r) => r.name);
    for (const route of ['GET /auth/me', 'POST /health/sync', 'GET /integrations/{vendor}/authorize'])
      expect(names).toContain(route);

    const erased = await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: u.auth });
    expect(erased.statusCode).toBe(204);

    const answers: string[] = [];
    for (const token of [u.accessToken, second.access_token]) {
      for (const r of requests) {
        const res = await t.app.inject({
          method: r.method,
          url: r.url,
          headers: { ...bearer(token), ...(r.contentType ? { 'content-type': r.contentType } : {}) },
          ...(r.payload !== undefined ? { payload: r.payload } : {}),
        });
        answers.push(`${r.name} ${res.statusCode}`);
      }
    }
    expect(answers.filter((a) => !a.endsWith(' 401'))).toEqual([]);
    // The browser form of the OAuth start (?token=) too.
    const viaQuery = await t.app.inject({ url: `/integrations/fitbit/authorize?token=${u.accessToken}` });
    expect(viaQuery.statusCode).toBe(401);

    for (const refreshToken of [u.refreshToken, second.refresh_token]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/auth/refresh',
        payload: { refresh_token: refreshToken },
      });
      expect(res.statusCode).toBe(401);
    }
  });
});

// Two API processes on one database and one Redis: a logout in one ends the token in the other at
// once (not after the cache's few seconds). PostgreSQL and Redis only.
describe.skipIf(!testDatabaseUrl || !testRedisUrl)('logout seen by another API process', () => {
  let a: TestApp;
  let b: TestApp;
  const prefix = uniquePrefix();
  beforeAll(async () => {
    // One secret: a token from A is good on B, as behind a load balancer.
    const env = {
      REDIS_URL: testRedisUrl ?? '',
      JOBS_QUEUE_PREFIX: prefix,
      JWT_SECRET: randomBytes(32).toString('base64url'),
    };
    a = await createTestApp({ env });
    b = await createTestApp({ env, ...(a.schema ? { sharedSchema: a.schema } : {}) });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    if (testRedisUrl) await deleteKeys(testRedisUrl, prefix);
  });

  it('answers 401 in the other process right after the logout', async () => {
    const u = await registerUser(a.app);
    // B has the session cached as live.
    expect((await b.app.inject({ url: '/auth/me', headers: u.auth })).statusCode).toBe(200);
    const out = await a.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: u.auth,
      payload: { refresh_token: u.refreshToken },
    });
    expect(out.statusCode).toBe(204);
    await expect
      .poll(async () => (await b.app.inject({ url: '/auth/me', headers: u.auth })).statusCode, {
        timeout: 1_000,
        interval: 50,
      })
      .toBe(401);
  });
});
