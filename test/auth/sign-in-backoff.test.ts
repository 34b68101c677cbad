/**
 * Repeated failed sign-ins lock the account for longer each time (429 problem+json, Retry-After);
 * a success forgets them; attempts during a lock neither count nor lengthen it. Registration is
 * limited per address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.ts';
import { MAX_LOCK_MS } from '../../src/http/login-backoff.ts';
import { createTestApp, registerUser, type TestApp, uniqueEmail } from '../helpers/app.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../helpers/jobs.ts';

const PASSWORD = 'correct horse battery';

/** Real time plus an offset the test moves forward. */
function testClock() {
  let offset = 0;
  const clock: Clock = { now: () => new Date(Date.now() + offset) };
  return { clock, advance: (ms: number) => (offset += ms) };
}

let n = 0;
async function attempt(t: TestApp, email: string, password: string) {
  n += 1;
  const res = await t.app.inject({
    method: 'POST',
    url: '/auth/login',
    // A new address each time: the per-address limit is not what is tested here.
    remoteAddress: `198.18.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`,
    payload: { email, password },
  });
  return { status: res.statusCode, retryAfter: Number(res.headers['retry-after'] ?? 0), res };
}

async function fail(t: TestApp, email: string, times: number) {
  const codes: number[] = [];
  for (let i = 0; i < times; i++) codes.push((await attempt(t, email, 'wrong password')).status);
  return codes;
}

describe('sign-in back-off (in process)', () => {
  let t: TestApp;
  const time = testClock();
  beforeAll(async () => {
    t = await createTestApp({ clock: time.clock });
  });
  afterAll(async () => t?.close());

  it('locks from the sixth failure, doubling; attempts during a lock do not lengthen it', async () => {
    const u = await registerUser(t.app);
    expect(await fail(t, u.email, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    // Locked for a minute: even the right password is not checked.
    const locked = await attempt(t, u.email, PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.res.headers['content-type']).toContain('application/problem+json');
    expect(locked.retryAfter).toBe(60);
    // Hammering during the lock changes nothing.
    for (let i = 0; i < 5; i++)
      expect((await attempt(t, u.email, 'wrong password')).retryAfter).toBeLessThanOrEqual(60);
    time.advance(61_000);
    // The next failure locks for two minutes, then four.
    expect(await fail(t, u.email, 1)).toEqual([401]);
    expect((await attempt(t, u.email, PASSWORD)).retryAfter).toBe(120);
    time.advance(121_000);
    expect(await fail(t, u.email, 1)).toEqual([401]);
    expect((await attempt(t, u.email, PASSWORD)).retryAfter).toBe(240);
    time.advance(241_000);
    // The right password after the lock signs in, and forgets the failures.
    expect((await attempt(t, u.email, PASSWORD)).status).toBe(200);
    expect(await fail(t, u.email, 5)).toEqual([401, 401, 401, 401, 401]);
    expect((await attempt(t, u.email, PASSWORD)).status).toBe(200);
  });

  it('never locks longer than the cap, and forgets after a quiet quarter of an hour', async () => {
    const u = await registerUser(t.app);
    await fail(t, u.email, 6);
    let longest = 0;
    for (let i = 0; i < 8; i++) {
      const { retryAfter } = await attempt(t, u.email, PASSWORD);
      longest = Math.max(longest, retryAfter);
      time.advance(retryAfter * 1000 + 1000);
      expect(await fail(t, u.email, 1)).toEqual([401]);
    }
    expect(longest).toBe(MAX_LOCK_MS / 1000);
    time.advance(MAX_LOCK_MS + 15 * 60_000 + 1000);
    // Quiet long enough: the count starts again, five free failures.
    expect(await fail(t, u.email, 5)).toEqual([401, 401, 401, 401, 401]);
    expect((await attempt(t, u.email, PASSWORD)).status).toBe(200);
  });

  it('locks an unknown email the same way (a lock reveals no account)', async () => {
    const email = uniqueEmail('nobody');
    expect(await fail(t, email, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    const locked = await attempt(t, email, 'anything at all');
    expect(locked.status).toBe(429);
    expect(locked.retryAfter).toBe(60);
  });
});

describe('registration per address', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_REGISTRATIONS_PER_HOUR: '3' } });
  });
  afterAll(async () => t?.close());

  const register = (remoteAddress: string, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/auth/register',
      remoteAddress,
      headers,
      payload: { email: uniqueEmail(), password: PASSWORD },
    });

  it('allows a few accounts per address per hour; forwarding headers do not reset it', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      codes.push((await register('203.0.113.40', { 'x-forwarded-for': `192.0.2.${i + 1}` })).statusCode);
    }
    expect(codes).toEqual([201, 201, 201, 429, 429]);
    const refused = await register('203.0.113.40');
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await register('203.0.113.41')).statusCode).toBe(201);
  });
});

// With REDIS_URL the back-off is shared: failures on two API processes add up to one lock.
describe.skipIf(!testRedisUrl)('sign-in back-off with REDIS_URL: shared by API processes', () => {
  let a: TestApp;
  let b: TestApp;
  const prefix = uniquePrefix();
  const time = testClock();
  beforeAll(async () => {
    const env = { REDIS_URL: testRedisUrl ?? '', JOBS_QUEUE_PREFIX: prefix };
    a = await createTestApp({ env, clock: time.clock });
    b = await createTestApp({ env, clock: time.clock, ...(a.schema ? { sharedSchema: a.schema } : {}) });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    if (testRedisUrl) await deleteKeys(testRedisUrl, prefix);
  });

  it('counts failures on either process toward one lock, kept under a hashed key', async () => {
    const u = await registerUser(a.app);
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await attempt(i % 2 ? b : a, u.email, 'wrong password')).status);
    expect(codes).toEqual([401, 401, 401, 401, 401, 401]);
    for (const app of [a, b]) {
      const locked = await attempt(app, u.email, PASSWORD);
      expect(locked.status).toBe(429);
      expect(locked.retryAfter).toBe(60);
    }
    const keys = await a.deps.limits.redis?.keys(`${prefix}:limits:backoff:*`);
    expect(keys?.length).toBe(1);
    for (const key of keys ?? []) expect(key).not.toContain(u.email);
    time.advance(61_000);
    expect((await attempt(b, u.email, PASSWORD)).status).toBe(200);
    // The success on B reset the shared count: A allows five failures again.
    expect(await fail(a, u.email, 5)).toEqual([401, 401, 401, 401, 401]);
    expect((await attempt(a, u.email, PASSWORD)).status).toBe(200);
  });
});
