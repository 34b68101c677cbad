import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { isRetryableVendorError, VendorRateLimitError } from '../../src/http/outbound.ts';
import {
  createTestApp,
  registerUser,
  type SandboxTestApp,
  type TestApp,
  testDatabaseUrl,
  withSandbox,
} from '../helpers/app.ts';
import { connectFitbit } from '../helpers/flow.ts';
import { waitFor } from '../helpers/jobs.ts';

/** The promise's value, or a failure if it takes longer than `ms` (a blocked pool would). */
async function answersWithin<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

// Refresh, single-flight and revocation, against the sandbox's token endpoint.
let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };

let t: SandboxTestApp;
beforeAll(async () => {
  // Many sign-ups from one address: the hanging-endpoint test connects 20 users.
  t = await withSandbox({ app: { clock, env: { AUTH_RATE_LIMIT_PER_MINUTE: '1000' } } });
});
afterAll(async () => t?.close());

async function connected() {
  const u = await registerUser(t.app);
  const person = t.sandbox.people.createPerson();
  await connectFitbit(t.app, u.auth, person.id);
  const list = await t.app.inject({ url: '/integrations/vendors', headers: u.auth });
  const id = list.json().integrations[0].id as string;
  return { u, person, id };
}

/** Asks the sandbox who the token belongs to: proves the token works. */
async function identityWith(accessToken: string): Promise<number> {
  const res = await fetch(`${t.sandbox.url}/v4/users/me/identity`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  await res.body?.cancel();
  return res.status;
}

/** Refresh requests the sandbox saw for one person's grants (other integrations may sync meanwhile). */
const refreshesOf = (personId: string) =>
  t.sandbox.admin
    .requestLog()
    .grants.filter((g) => g.personId === personId)
    .reduce((n, g) => n + g.tokenRequests.refresh_token, 0);

describe('getAccessToken', () => {
  it('returns the stored token while it is fresh, without calling the vendor', async () => {
    const { id, person } = await connected();
    const a = await t.deps.accessTokens.getAccessToken(id);
    const b = await t.deps.accessTokens.getAccessToken(id);
    expect(a.accessToken.reveal()).toBe(b.accessToken.reveal());
    expect(refreshesOf(person.id)).toBe(0);
    expect(await identityWith(a.accessToken.reveal())).toBe(200);
    expect(JSON.stringify(a)).not.toContain(a.accessToken.reveal());
  });

  it('10 concurrent callers near expiry cause exactly one refresh and all get the same valid token', async () => {
    const { id, person } = await connected();
    const before = await t.deps.accessTokens.getAccessToken(id);
    const refreshBefore = (await t.deps.vault.readTokens(t.deps.db, id))?.refreshToken?.reveal();
    offsetMs = 56 * 60_000; // inside the 5-minute skew of the 1-hour token
    try {
      const results = await Promise.all(
        Array.from({ length: 10 }, () => t.deps.accessTokens.getAccessToken(id)),
      );
      expect(refreshesOf(person.id)).toBe(1);
      const tokens = new Set(results.map((r) => r.accessToken.reveal()));
      expect(tokens.size).toBe(1);
      const [token] = [...tokens];
      expect(token).not.toBe(before.accessToken.reveal());
      expect(await identityWith(token!)).toBe(200);
      // NOTE: Google's refresh response has no refresh_token: the old one is kept.
      expect((await t.deps.vault.readTokens(t.deps.db, id))?.refreshToken?.reveal()).toBe(refreshBefore);
    } finally {
      offsetMs = 0;
    }
  });

  it('forceRefresh after a 401 refreshes once for many callers who saw the same token', async () => {
    const { id, person } = await connected();
    const seen = await t.deps.accessTokens.getAccessToken(id);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.deps.accessTokens.getAccessToken(id, { forceRefresh: true, rejectedVersion: seen.version }),
      ),
    );
    // A late caller with the old version gets the new token, not another refresh.
    const late = await t.deps.accessTokens.getAccessToken(id, {
      forceRefresh: true,
      rejectedVersion: seen.version,
    });
    expect(refreshesOf(person.id)).toBe(1);
    expect(new Set([...results, late].map((r) => r.version))).toEqual(new Set([seen.version + 1]));
  });

  it('a revoked grant turns the integration into needs_reauth and deletes its tokens', async () => {
    const { u, person, id } = await connected();
    await t.sandbox.admin.revokeGrant(person.id, { notify: false });
    const error = await t.deps.accessTokens
      .getAccessToken(id, { forceRefresh: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('VENDOR_AUTH_REVOKED');
    const s = (await t.app.inject({ url: '/integrations/fitbit/status', headers: u.auth })).json();
    expect(s).toMatchObject({ connected: false, status: 'needs_reauth' });
    expect(await t.deps.vault.readTokens(t.deps.db, id)).toBeUndefined();
    const again = await t.deps.accessTokens.getAccessToken(id).catch((e: unknown) => e);
    expect((again as AppError).code).toBe('VENDOR_AUTH_REVOKED');
    // Reconnecting asks for consent again, so a new refresh token is issued.
    const start = await t.app.inject({ url: '/integrations/fitbit/authorize', headers: u.auth });
    expect(new URL(start.json().authorization_url).searchParams.get('prompt')).toBe('consent');
  });

  it('withAccessToken retries once with a refreshed token after a vendor 401', async () => {
    const { id } = await connected();
    const first = await t.deps.accessTokens.getAccessToken(id);
    const used: string[] = [];
    const identity = await t.deps.accessTokens.withAccessToken(id, async (token) => {
      used.push(token);
      const url = `${t.deps.config.fitbit.apiUrl}/v4/users/me/identity`;
      // The first attempt sends a token the vendor does not know.
      const auth = used.length === 1 ? 'not-a-token' : token;
      return t.deps.http.json<{ healthUserId: string }>({
        vendor: 'fitbit',
        url,
        headers: { authorization: `Bearer ${auth}` },
      });
    });
    expect(identity.healthUserId).toBeTruthy();
    expect(used).toHaveLength(2);
    expect(used[1]).not.toBe(first.accessToken.reveal());
  });

  it('a transient token endpoint failure is retryable and leaves the integration connected', async () => {
    const { u, id } = await connected();
    t.sandbox.admin.injectFaults({ target: 'oauth', status: 503, count: 5 });
    try {
      const error = await t.deps.accessTokens
        .getAccessToken(id, { forceRefresh: true })
        .catch((e: unknown) => e);
      expect((error as AppError).code).toBe('VENDOR_UNAVAILABLE');
    } finally {
      t.sandbox.admin.clearFaults();
    }
    const s = (await t.app.inject({ url: '/integrations/fitbit/status', headers: u.auth })).json();
    expect(s).toMatchObject({ connected: true, status: 'connected' });
    expect((await t.deps.accessTokens.getAccessToken(id, { forceRefresh: true })).version).toBeGreaterThan(1);
  });

  it('a rate-limited token endpoint is a typed, retryable rate-limit error', async () => {
    const { id } = await connected();
    t.sandbox.admin.injectFaults({ target: 'oauth', status: 429, count: 5 });
    try {
      const error = await t.deps.accessTokens
        .getAccessToken(id, { forceRefresh: true })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VendorRateLimitError);
      expect(isRetryableVendorError(error)).toBe(true);
      expect((error as VendorRateLimitError).retryAfter).toBeGreaterThan(0);
    } finally {
      t.sandbox.admin.clearFaults();
    }
    expect((await t.deps.accessTokens.getAccessToken(id)).accessToken.reveal()).toBeTruthy();
  });
});

describe('a token endpoint that hangs', () => {
  it('holds no database connection: 20 refreshes hang while other requests answer, and all finish when it recovers', async () => {
    // Pool of 5 on PostgreSQL (test/helpers/app.ts), one connection on PGlite.
    const all: { id: string; u: Awaited<ReturnType<typeof registerUser>> }[] = [];
    for (let i = 0; i < 20; i += 1) {
      const u = await registerUser(t.app);
      const person = t.sandbox.people.createPerson({ days: 1 });
      await connectFitbit(t.app, u.auth, person.id);
      const list = await t.app.inject({ url: '/integrations/vendors', headers: u.auth });
      all.push({ id: list.json().integrations[0].id as string, u });
    }
    await waitFor('backfills done', async () => {
      const jobs = (await t.deps.jobs.health()).detail ?? {};
      return Number(jobs.waiting ?? 0) === 0 && Number(jobs.active ?? 0) === 0;
    });
    const before = await Promise.all(all.map((c) => t.deps.vault.readTokens(t.deps.db, c.id)));
    t.sandbox.admin.injectFaults({ target: 'oauth', timeout: true, count: 20 });
    offsetMs = 2 * 3600_000; // every token has expired
    try {
      const refreshes = all.map((c) => t.deps.accessTokens.getAccessToken(c.id));
      for (const r of refreshes) r.catch(() => {});
      await waitFor('refreshes waiting on the token endpoint', () => t.sandbox.admin.hangingRequests() >= 5);
      const me = await answersWithin(5_000, t.app.inject({ url: '/auth/me', headers: all[0]!.u.auth }));
      expect(me.statusCode).toBe(200);
      const vendors = await answersWithin(
        5_000,
        t.app.inject({ url: '/integrations/vendors', headers: all[1]!.u.auth }),
      );
      expect(vendors.statusCode).toBe(200);
      // All 20 are in flight at once: none waits for a pooled connection.
      await waitFor('all 20 refreshes in flight', () => t.sandbox.admin.hangingRequests() === 20);

      // The endpoint recovers: the hung requests answer 504, the wrapper retries, all refresh.
      expect(t.sandbox.admin.releaseHanging()).toBe(20);
      const results = await Promise.all(refreshes);
      for (const [i, r] of results.entries()) {
        expect(r.version).toBe(before[i]!.version + 1);
        expect(await identityWith(r.accessToken.reveal())).toBe(200);
      }
      const leases = await t.deps.db
        .selectFrom('integration_tokens')
        .select('integration_id')
        .where('refresh_claim', 'is not', null)
        .execute();
      expect(leases).toEqual([]);
    } finally {
      offsetMs = 0;
      t.sandbox.admin.clearFaults();
      t.sandbox.admin.releaseHanging();
    }
  });

  it('a lease held by a process that died lapses, and the next caller refreshes', async () => {
    const { id, person } = await connected();
    const current = await t.deps.vault.readTokens(t.deps.db, id);
    // Another process claimed the refresh and died: its lease ran out a moment ago.
    await t.deps.db
      .updateTable('integration_tokens')
      .set({ refresh_claim: 'dead-process', refresh_claimed_until: new Date(Date.now() - 1000) })
      .where('integration_id', '=', id)
      .execute();
    const token = await t.deps.accessTokens.getAccessToken(id, {
      forceRefresh: true,
      rejectedVersion: current!.version,
    });
    expect(token.version).toBe(current!.version + 1);
    expect(refreshesOf(person.id)).toBe(1);
  });
});

describe.skipIf(!testDatabaseUrl)('two processes on one PostgreSQL database', () => {
  let second: TestApp;
  beforeAll(async () => {
    second = await createTestApp({
      clock,
      sharedSchema: t.schema,
      env: {
        ...t.sandbox.env,
        JWT_SECRET: t.deps.config.jwt.secret!,
        ENCRYPTION_KEY: t.deps.config.encryptionKeys[0]!,
      },
    });
  });
  afterAll(async () => second?.close());

  it('concurrent refreshes from both processes produce exactly one token request', async () => {
    const { id, person } = await connected();
    offsetMs = 2 * 3600_000;
    try {
      const calls = Array.from({ length: 10 }, (_, i) =>
        (i % 2 === 0 ? t : second).deps.accessTokens.getAccessToken(id),
      );
      const results = await Promise.all(calls);
      expect(refreshesOf(person.id)).toBe(1);
      expect(new Set(results.map((r) => r.accessToken.reveal())).size).toBe(1);
      expect(await identityWith(results[0]!.accessToken.reveal())).toBe(200);
    } finally {
      offsetMs = 0;
    }
  });
});
