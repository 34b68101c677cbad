import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertEvents } from '../../src/events/events.repository.ts';
import type { NewEvent } from '../../src/events/events.types.ts';
import { createTestApp, registerUser, type TestApp, testDatabaseUrl } from '../helpers/app.ts';
import { dartLocal, singleValue } from '../helpers/app-bodies.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../helpers/jobs.ts';
import { patientIdOf } from '../helpers/observations.ts';
import { openSse, type SseClient } from '../helpers/sse.ts';

// GET /events/stream (docs/events.md §6): the caller's committed events as Server-Sent Events.
// The fallback poll is set far out, so an event that arrives was woken by its commit.
const env = {
  EVENTS_STREAM_HEARTBEAT_MS: '100',
  EVENTS_STREAM_POLL_MS: '300000',
  EVENTS_STREAM_MAX_PER_USER: '2',
};

const disconnected = (userId: number): NewEvent => ({
  type: 'integration.disconnected',
  payload: {
    user_id: userId,
    vendor: 'fitbit',
    integration_id: 'i-1',
    status: 'disconnected',
    reason: 'user',
  },
});

async function listening(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

async function postObservation(t: TestApp, u: { id: number; auth: { authorization: string } }) {
  const patientId = await patientIdOf(t, u.id);
  const res = await t.app.inject({
    method: 'POST',
    url: '/fhir/Observation',
    headers: { ...u.auth, 'content-type': 'application/fhir+json' },
    payload: singleValue('heart_rate', 64, patientId, dartLocal('2026-11-19T08:00:00')),
  });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { id: string }).id;
}

const streams: SseClient[] = [];
async function open(base: string, auth: Record<string, string>, headers: Record<string, string> = {}) {
  const s = await openSse(`${base}/events/stream`, { ...auth, ...headers });
  streams.push(s);
  if (s.status === 200) await s.waitFor((m) => m.comment === 'connected');
  return s;
}

describe('GET /events/stream', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await createTestApp({ env });
    base = await listening(t);
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await t?.close();
  });

  it('sends an event committed after it opened, as the webhook body with its id; never another user’s', async () => {
    const a = await registerUser(t.app);
    const b = await registerUser(t.app);
    const sa = await open(base, a.auth);
    const sb = await open(base, b.auth);
    expect(sa.contentType).toMatch(/^text\/event-stream/);

    const id = await postObservation(t, a);
    const m = await sa.waitFor((x) => x.event === 'observations.created');
    const body = JSON.parse(m.data ?? '');
    expect(body).toEqual({
      id: m.id,
      type: 'observations.created',
      timestamp: expect.any(String),
      data: expect.objectContaining({ user_id: a.id, ids: [id], count: 1 }),
    });
    expect(m.id).toMatch(/^evt_/);

    // B's stream gets B's own event, and nothing of A's before it.
    await postObservation(t, b);
    await sb.waitFor((x) => x.event === 'observations.created');
    expect(sb.events().map((x) => JSON.parse(x.data ?? '').data.user_id)).toEqual([b.id]);
    expect(sa.events().map((x) => JSON.parse(x.data ?? '').data.user_id)).toEqual([a.id]);
    sa.close();
    sb.close();
  });

  it('resumes exactly after Last-Event-ID; without it, starts after the newest event', async () => {
    const u = await registerUser(t.app);
    const ids = await insertEvents(
      t.deps.db,
      u.id,
      [1, 2, 3].map(() => disconnected(u.id)),
      new Date(),
    );
    const resumed = await open(base, u.auth, { 'last-event-id': ids[0] ?? '' });
    await resumed.waitFor((m) => m.id === ids[2]);
    expect(resumed.events().map((m) => m.id)).toEqual([ids[1], ids[2]]);

    const fresh = await open(base, u.auth);
    await fresh.waitFor((m) => m.comment === 'ping');
    expect(fresh.events()).toEqual([]);
    resumed.close();
    fresh.close();
  });

  // Two transactions of one user: the one with the lower seq commits last (PGlite has one connection).
  it.skipIf(!testDatabaseUrl)('sends an event whose transaction committed after a later one', async () => {
    const u = await registerUser(t.app);
    const s = await open(base, u.auth);
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let inserted = () => {};
    const didInsert = new Promise<void>((r) => {
      inserted = r;
    });
    const slow = t.deps.db.transaction().execute(async (trx) => {
      const [id] = await insertEvents(trx, u.id, [disconnected(u.id)], new Date());
      inserted();
      await gate;
      return id;
    });
    await didInsert;
    const [fast] = await insertEvents(t.deps.db, u.id, [disconnected(u.id)], new Date());
    t.deps.streamHub.wake(u.id);
    await s.waitFor((m) => m.id === fast);
    release();
    const early = await slow;
    t.deps.streamHub.wake(u.id);
    await s.waitFor((m) => m.id === early);
    expect(s.events().map((m) => m.id)).toEqual([fast, early]);
    s.close();
  });

  it('sends a `: ping` comment on the heartbeat interval', async () => {
    const u = await registerUser(t.app);
    const s = await open(base, u.auth);
    await s.waitFor((m) => m.comment === 'ping');
    s.close();
  });

  it('refuses a stream past the per-user limit with 429 problem+json, and a missing token with 401', async () => {
    const u = await registerUser(t.app);
    const first = await open(base, u.auth);
    await open(base, u.auth);
    const third = await open(base, u.auth);
    expect(third.status).toBe(429);
    expect(third.contentType).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(third.body ?? '')).toMatchObject({ status: 429 });

    // A stream that ends frees its place.
    first.close();
    for (let i = 0; i < 200 && t.deps.streamHub.count(u.id) > 1; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(t.deps.streamHub.count(u.id)).toBe(1);
    expect((await open(base, u.auth)).status).toBe(200);

    const anonymous = await open(base, {});
    expect(anonymous.status).toBe(401);
  });
});

describe('GET /events/stream: a logout ends it', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    // Heartbeats far out: only the logout's own notice can end the stream within the test.
    t = await createTestApp({ env: { ...env, EVENTS_STREAM_HEARTBEAT_MS: '300000' } });
    base = await listening(t);
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await t?.close();
  });

  it('closes the streams of a session that logged out, and only those', async () => {
    const u = await registerUser(t.app);
    const other = await registerUser(t.app);
    await open(base, u.auth);
    await open(base, other.auth);
    expect(t.deps.streamHub.count(u.id)).toBe(1);
    const out = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: u.auth });
    expect(out.statusCode).toBe(204);
    for (let i = 0; i < 100 && t.deps.streamHub.count(u.id) > 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(t.deps.streamHub.count(u.id)).toBe(0);
    expect(t.deps.streamHub.count(other.id)).toBe(1);
    // And the ended sign-in cannot open a new one.
    expect((await open(base, u.auth)).status).toBe(401);
  });
});

describe('GET /events/stream: the fallback poll', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await createTestApp({ env: { ...env, EVENTS_STREAM_POLL_MS: '100' } });
    base = await listening(t);
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await t?.close();
  });

  it('reads an event whose wake never came', async () => {
    const u = await registerUser(t.app);
    const s = await open(base, u.auth);
    const [id] = await insertEvents(t.deps.db, u.id, [disconnected(u.id)], new Date());
    await s.waitFor((m) => m.id === id);
    s.close();
  });
});

// Two API processes on one database with Redis: a commit in one wakes a stream on the other.
describe.skipIf(!testRedisUrl || !testDatabaseUrl)('GET /events/stream across processes (Redis)', () => {
  let a: TestApp;
  let b: TestApp;
  let baseB: string;
  const prefix = uniquePrefix();
  beforeAll(async () => {
    // One deployment: the same keys, so a token from one process is good on the other.
    const keys = {
      JWT_SECRET: randomBytes(32).toString('base64url'),
      ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    };
    const shared = { ...env, ...keys, REDIS_URL: testRedisUrl ?? '', JOBS_QUEUE_PREFIX: prefix };
    a = await createTestApp({ env: shared });
    b = await createTestApp({ env: shared, ...(a.schema ? { sharedSchema: a.schema } : {}) });
    baseB = await listening(b);
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await b?.close();
    await a?.close();
    if (testRedisUrl) await deleteKeys(testRedisUrl, prefix);
  });

  it('an event committed on one process reaches a stream opened on the other', async () => {
    const u = await registerUser(a.app);
    const s = await open(baseB, u.auth);
    expect(s.status).toBe(200);
    const id = await postObservation(a, u);
    const m = await s.waitFor((x) => x.event === 'observations.created');
    expect(JSON.parse(m.data ?? '').data.ids).toEqual([id]);
    s.close();
  });
});
