import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withJitter } from '../../src/events/delivery.ts';
import { insertEvents } from '../../src/events/events.repository.ts';
import type { NewEvent } from '../../src/events/events.types.ts';
import { postWebhook } from '../../src/events/webhook-post.ts';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';
import { fakeClock } from '../helpers/clock.ts';
import { deleteKeys, fastBullmq, type RunnerKind, testRedisUrl, uniquePrefix } from '../helpers/jobs.ts';

// Delivery (docs/events.md §5): the dispatcher fans outbox events out to matching endpoints, each
// POST signed per Standard Webhooks and checked here with the `standardwebhooks` library, retried
// on a (shortened) schedule, logged per attempt, and disabling endpoints that fail for too long.

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The client's port: the same for requests on one kept-alive connection. */
  clientPort: number | undefined;
}

/** A local receiver: records every request and answers what `answer` says (200 by default). */
async function receiver() {
  const got: Received[] = [];
  let answer: (r: Received) => { status: number; headers?: Record<string, string> } = () => ({ status: 200 });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        clientPort: req.socket.remotePort,
      };
      got.push(r);
      const a = answer(r);
      res.writeHead(a.status, a.headers).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    got,
    port,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    answer(fn: typeof answer) {
      answer = fn;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const headersOf = (h: IncomingHttpHeaders) =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k, String(v)])) as Record<string, string>;

const runners: RunnerKind[] = testRedisUrl ? ['in-process', 'bullmq'] : ['in-process'];

describe.each(runners)('webhook delivery (%s runner)', (kind) => {
  let t: TestApp;
  let rx: Awaited<ReturnType<typeof receiver>>;
  const prefix = uniquePrefix();
  beforeAll(async () => {
    rx = await receiver();
    t = await createTestApp({
      env: {
        WEBHOOKS_ALLOW_PRIVATE_URLS: '1',
        ...(kind === 'bullmq' ? { REDIS_URL: testRedisUrl!, JOBS_QUEUE_PREFIX: prefix } : {}),
      },
      overrides: {
        delivery: { retryScheduleMs: [50, 50, 50], timeoutMs: 2_000 },
        ...(kind === 'bullmq' ? { jobs: { bullmq: fastBullmq } } : {}),
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await rx?.close();
    if (kind === 'bullmq' && testRedisUrl) await deleteKeys(testRedisUrl, prefix);
  });

  type User = Awaited<ReturnType<typeof registerUser>>;
  async function endpoint(u: User, path: string, events?: string[]) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/endpoints',
      headers: u.auth,
      payload: { url: rx.url(path), ...(events ? { events } : {}) },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; secret: string };
  }
  const disconnected = (u: User, n = 1): NewEvent => ({
    type: 'integration.disconnected',
    payload: {
      user_id: u.id,
      vendor: 'fitbit',
      integration_id: `i-${n}`,
      status: 'inactive',
      reason: 'user',
    },
  });
  async function emit(u: User, events: NewEvent[]) {
    const ids = await insertEvents(t.deps.db, u.id, events, new Date());
    await t.deps.delivery.kick();
    return ids;
  }
  const deliveries = async (u: User, endpointId: string) => {
    const res = await t.app.inject({ url: `/webhooks/endpoints/${endpointId}/deliveries`, headers: u.auth });
    expect(res.statusCode, res.body).toBe(200);
    return (
      res.json() as {
        items: {
          event_id: string;
          status: string;
          attempts: { status_code: number | null; ok: boolean; error: string | null }[];
        }[];
      }
    ).items;
  };
  const settledDelivery = (u: User, endpointId: string, eventId: string, status: string) =>
    until(`delivery ${status}`, async () =>
      (await deliveries(u, endpointId)).find((d) => d.event_id === eventId && d.status === status),
    );

  it('signs each delivery per Standard Webhooks; only the owner’s subscribed events are sent', async () => {
    const a = await registerUser(t.app);
    const b = await registerUser(t.app);
    const hook = await endpoint(a, '/a', ['integration.disconnected']);
    await endpoint(b, '/b');
    const [wanted] = await emit(a, [disconnected(a)]);
    const [notSubscribed] = await emit(a, [
      { type: 'account.deleted', payload: { user_id: a.id } } as NewEvent,
    ]);
    const done = await settledDelivery(a, hook.id, wanted!, 'succeeded');
    expect(done.attempts).toEqual([expect.objectContaining({ ok: true, status_code: 200, error: null })]);

    const mine = rx.got.filter((r) => r.path === '/a');
    expect(mine).toHaveLength(1);
    const sent = mine[0]!;
    expect(sent.headers['webhook-id']).toBe(wanted);
    expect(sent.headers['content-type']).toBe('application/json');
    const verified = new Webhook(hook.secret).verify(sent.body, headersOf(sent.headers));
    expect(verified).toEqual({
      type: 'integration.disconnected',
      timestamp: expect.stringMatching(/Z$/),
      data: { user_id: a.id, vendor: 'fitbit', integration_id: 'i-1', status: 'inactive', reason: 'user' },
    });
    // A forged body or another secret does not verify.
    expect(() =>
      new Webhook(hook.secret).verify(sent.body.replace('i-1', 'i-2'), headersOf(sent.headers)),
    ).toThrow();
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(
        sent.body,
        headersOf(sent.headers),
      ),
    ).toThrow();
    // b's endpoint saw none of a's events; the unsubscribed type made no delivery.
    expect(rx.got.filter((r) => r.path === '/b')).toEqual([]);
    expect((await deliveries(a, hook.id)).map((d) => d.event_id)).not.toContain(notSubscribed);
  });

  it('after a secret rotation both secrets sign until the overlap ends, then only the new one', async () => {
    const u = await registerUser(t.app);
    const hook = await endpoint(u, '/rotated');
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/webhooks/endpoints/${hook.id}/rotate-secret`,
      headers: u.auth,
    });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const next = (rotated.json() as { secret: string }).secret;
    expect(next).not.toBe(hook.secret);

    const [first] = await emit(u, [disconnected(u)]);
    await settledDelivery(u, hook.id, first!, 'succeeded');
    const during = rx.got.filter((r) => r.path === '/rotated');
    expect(during).toHaveLength(1);
    const h1 = headersOf(during[0]!.headers);
    expect(h1['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of [next, hook.secret])
      expect(() => new Webhook(secret).verify(during[0]!.body, h1)).not.toThrow();

    // The overlap over (as 24 hours later): the old secret no longer signs.
    await t.deps.db
      .updateTable('webhook_endpoints')
      .set({ previous_secret_until: new Date(Date.now() - 1_000) })
      .where('id', '=', hook.id)
      .execute();
    const [second] = await emit(u, [disconnected(u, 2)]);
    await settledDelivery(u, hook.id, second!, 'succeeded');
    const after = rx.got.filter((r) => r.path === '/rotated')[1]!;
    const h2 = headersOf(after.headers);
    expect(h2['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(() => new Webhook(next).verify(after.body, h2)).not.toThrow();
    expect(() => new Webhook(hook.secret).verify(after.body, h2)).toThrow();
  });

  it('keeps the connection to an endpoint alive between deliveries', async () => {
    const u = await registerUser(t.app);
    const hook = await endpoint(u, '/kept');
    for (let n = 1; n <= 3; n++) {
      const [id] = await emit(u, [disconnected(u, n)]);
      await settledDelivery(u, hook.id, id!, 'succeeded');
    }
    const sent = rx.got.filter((r) => r.path === '/kept');
    expect(sent).toHaveLength(3);
    // One after the other, each on the connection the previous one left idle.
    expect(new Set(sent.map((r) => r.clientPort)).size).toBe(1);
  });

  it('retries failures with back-off, same webhook-id, every attempt logged; success clears the failure', async () => {
    const u = await registerUser(t.app);
    const hook = await endpoint(u, '/flaky');
    let calls = 0;
    rx.answer((r) => (r.path === '/flaky' && ++calls <= 2 ? { status: 503 } : { status: 204 }));
    try {
      const [id] = await emit(u, [disconnected(u)]);
      const done = await settledDelivery(u, hook.id, id!, 'succeeded');
      expect(done.attempts.map((a) => [a.status_code, a.ok])).toEqual([
        [503, false],
        [503, false],
        [204, true],
      ]);
      const sent = rx.got.filter((r) => r.path === '/flaky');
      expect(sent.map((r) => r.headers['webhook-id'])).toEqual([id, id, id]);
      for (const r of sent)
        expect(() => new Webhook(hook.secret).verify(r.body, headersOf(r.headers))).not.toThrow();
      const row = await t.deps.db
        .selectFrom('webhook_endpoints')
        .select(['failing_since', 'status'])
        .where('id', '=', hook.id)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ failing_since: null, status: 'enabled' });
    } finally {
      rx.answer(() => ({ status: 200 }));
    }
  });

  it('does not follow redirects: a 3xx fails every attempt, then a manual retry delivers', async () => {
    const u = await registerUser(t.app);
    const hook = await endpoint(u, '/moved');
    rx.answer((r) =>
      r.path === '/moved' ? { status: 302, headers: { location: rx.url('/elsewhere') } } : { status: 200 },
    );
    try {
      const [id] = await emit(u, [disconnected(u)]);
      const failed = await settledDelivery(u, hook.id, id!, 'failed');
      expect(failed.attempts).toHaveLength(4); // the first try and the 3 scheduled retries
      expect(failed.attempts.every((a) => a.status_code === 302 && a.error === 'HTTP 302')).toBe(true);
      expect(rx.got.filter((r) => r.path === '/elsewhere')).toEqual([]);
      const row = await t.deps.db
        .selectFrom('webhook_endpoints')
        .select('failing_since')
        .where('id', '=', hook.id)
        .executeTakeFirstOrThrow();
      expect(row.failing_since).toBeInstanceOf(Date);

      rx.answer(() => ({ status: 200 }));
      const retry = await t.app.inject({
        method: 'POST',
        url: `/webhooks/endpoints/${hook.id}/deliveries/${id}/retry`,
        headers: u.auth,
      });
      expect(retry.statusCode, retry.body).toBe(202);
      const done = await settledDelivery(u, hook.id, id!, 'succeeded');
      expect(done.attempts.at(-1)).toMatchObject({ ok: true, status_code: 200 });
      const unknown = await t.app.inject({
        method: 'POST',
        url: `/webhooks/endpoints/${hook.id}/deliveries/evt_${'0'.repeat(32)}/retry`,
        headers: u.auth,
      });
      expect(unknown.statusCode).toBe(404);
    } finally {
      rx.answer(() => ({ status: 200 }));
    }
  });

  it('disables an endpoint failing for 3 days, or answering 410, and tells its owner', async () => {
    const u = await registerUser(t.app);
    const old = await endpoint(u, '/down');
    const gone = await endpoint(u, '/gone');
    rx.answer((r) =>
      r.path === '/down' ? { status: 500 } : r.path === '/gone' ? { status: 410 } : { status: 200 },
    );
    try {
      // Failing since just over 3 days (as earlier failed attempts would have recorded).
      await t.deps.db
        .updateTable('webhook_endpoints')
        .set({ failing_since: new Date(Date.now() - 3 * 24 * 3_600_000 - 1_000) })
        .where('id', '=', old.id)
        .execute();
      const [id] = await emit(u, [disconnected(u)]);
      await settledDelivery(u, old.id, id!, 'failed');
      await settledDelivery(u, gone.id, id!, 'failed');
      const rows = await t.deps.db
        .selectFrom('webhook_endpoints')
        .select(['id', 'status'])
        .where('user_id', '=', u.id)
        .orderBy('created_at')
        .execute();
      expect(rows.map((r) => r.status)).toEqual(['disabled', 'disabled']);
      const read = await t.app.inject({ url: `/webhooks/endpoints/${old.id}`, headers: u.auth });
      expect(read.json()).toMatchObject({ status: 'disabled' });
      const notices = await t.deps.db
        .selectFrom('events')
        .select('payload')
        .where('user_id', '=', u.id)
        .where('type', '=', 'endpoint.disabled')
        .execute();
      expect(notices.map((n) => (n.payload as { endpoint_id: string }).endpoint_id).sort()).toEqual(
        [old.id, gone.id].sort(),
      );
      // Nothing more goes to a disabled endpoint; a retry is refused.
      const before = rx.got.length;
      await emit(u, [disconnected(u, 2)]);
      await t.deps.delivery.dispatch();
      const retry = await t.app.inject({
        method: 'POST',
        url: `/webhooks/endpoints/${gone.id}/deliveries/${id}/retry`,
        headers: u.auth,
      });
      expect(retry.statusCode).toBe(409);
      await new Promise((r) => setTimeout(r, 200));
      expect(rx.got.slice(before).filter((r) => r.path === '/down' || r.path === '/gone')).toEqual([]);
    } finally {
      rx.answer(() => ({ status: 200 }));
    }
  });

  it('a secret that cannot be opened fails the delivery once, recorded, without posting', async () => {
    const u = await registerUser(t.app);
    const hook = await endpoint(u, '/sealed');
    await t.deps.db
      .updateTable('webhook_endpoints')
      .set({ secret: 'v1.unknownkey.AAAA.AAAA' })
      .where('id', '=', hook.id)
      .execute();
    const [id] = await emit(u, [disconnected(u)]);
    const failed = await settledDelivery(u, hook.id, id!, 'failed');
    expect(failed.attempts).toEqual([
      expect.objectContaining({ ok: false, error: 'internal: SECRET_UNREADABLE' }),
    ]);
    expect(rx.got.filter((r) => r.path === '/sealed')).toEqual([]);
  });

  it('erasure removes the person’s endpoints and their pending deliveries', async () => {
    const u = await registerUser(t.app);
    const hook = await endpoint(u, '/never');
    rx.answer((r) => (r.path === '/never' ? { status: 500 } : { status: 200 }));
    try {
      const [id] = await emit(u, [disconnected(u)]);
      await until('a failed attempt', async () => (await deliveries(u, hook.id))[0]?.attempts.length);
      expect((await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: u.auth })).statusCode).toBe(
        204,
      );
      const left = await t.deps.db
        .selectFrom('webhook_deliveries')
        .select('event_id')
        .where('endpoint_id', '=', hook.id)
        .execute();
      expect(left).toEqual([]);
      expect(
        await t.deps.db.selectFrom('webhook_attempts').select('id').where('event_id', '=', id!).execute(),
      ).toEqual([]);
    } finally {
      rx.answer(() => ({ status: 200 }));
    }
  });
});

describe('delivery-time URL check', () => {
  it('refuses at delivery a name that now resolves to loopback (DNS rebinding), without calling it', async () => {
    const rx = await receiver();
    const dns: Record<string, string[]> = { 'hooks.example.com': ['93.184.216.34'] };
    const t = await createTestApp({
      overrides: {
        resolve: async (h) => dns[h] ?? [],
        delivery: { retryScheduleMs: [], timeoutMs: 1_000 },
      },
    });
    try {
      const u = await registerUser(t.app);
      const res = await t.app.inject({
        method: 'POST',
        url: '/webhooks/endpoints',
        headers: u.auth,
        payload: { url: `https://hooks.example.com:${rx.port}/x` },
      });
      expect(res.statusCode, res.body).toBe(201);
      const hook = res.json() as { id: string };
      dns['hooks.example.com'] = ['127.0.0.1'];
      const [id] = await insertEvents(
        t.deps.db,
        u.id,
        [{ type: 'account.deleted', payload: { user_id: u.id } } as NewEvent],
        new Date(),
      );
      await t.deps.delivery.dispatch();
      const items = await until('the refused attempt', async () => {
        const r = await t.app.inject({ url: `/webhooks/endpoints/${hook.id}/deliveries`, headers: u.auth });
        const list = (
          r.json() as { items: { event_id: string; status: string; attempts: { error: string }[] }[] }
        ).items;
        return list.find((d) => d.event_id === id && d.status === 'failed');
      });
      expect(items.attempts[0]?.error).toBe('url refused: must resolve to public addresses only');
      expect(rx.got).toEqual([]);
    } finally {
      await t.close();
      await rx.close();
    }
  });

  it('connects to the checked address, not to what the name resolves to later', async () => {
    const rx = await receiver();
    try {
      // `receiver.invalid` resolves nowhere: only the pinned address can reach the receiver.
      const result = await postWebhook(new URL(`http://receiver.invalid:${rx.port}/pinned`), {
        body: '{}',
        headers: { 'content-type': 'application/json' },
        addresses: ['127.0.0.1'],
        timeoutMs: 2_000,
      });
      expect(result).toEqual({ status: 200 });
      expect(rx.got.map((r) => r.path)).toEqual(['/pinned']);
      const unpinned = await postWebhook(new URL(`http://receiver.invalid:${rx.port}/x`), {
        body: '{}',
        headers: {},
        addresses: [],
        timeoutMs: 2_000,
      });
      expect(unpinned).toHaveProperty('error');
    } finally {
      await rx.close();
    }
  });
});

describe('the deployment’s endpoint (EVENTS_WEBHOOK_URL)', () => {
  it('receives every user’s events and the erasure, signed with its secret, even on a private address', async () => {
    const rx = await receiver();
    const secret = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
    const t = await createTestApp({
      env: { EVENTS_WEBHOOK_URL: rx.url('/ops'), EVENTS_WEBHOOK_SECRET: secret },
    });
    try {
      const a = await registerUser(t.app);
      const b = await registerUser(t.app);
      const event = (u: { id: number }): NewEvent => ({
        type: 'integration.disconnected',
        payload: {
          user_id: u.id,
          vendor: 'withings',
          integration_id: 'x',
          status: 'inactive',
          reason: 'user',
        },
      });
      await insertEvents(t.deps.db, a.id, [event(a)], new Date());
      await insertEvents(t.deps.db, b.id, [event(b)], new Date());
      expect((await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: a.auth })).statusCode).toBe(
        204,
      );
      await t.deps.delivery.kick();
      await until('two deliveries', async () => rx.got.length >= 2);
      await t.deps.delivery.dispatch();
      await new Promise((r) => setTimeout(r, 300));
      const got = rx.got;
      const bodies = got.map(
        (r) =>
          new Webhook(secret).verify(r.body, headersOf(r.headers)) as {
            type: string;
            data: { user_id: number };
          },
      );
      // a's own disconnection was erased with the account before it went out: only its erasure is sent.
      expect(bodies.map((x) => [x.type, x.data.user_id]).sort()).toEqual(
        [
          ['account.deleted', a.id],
          ['integration.disconnected', b.id],
        ].sort(),
      );
      // The users' endpoint lists do not show it.
      const list = await t.app.inject({ url: '/webhooks/endpoints', headers: b.auth });
      expect(list.json()).toEqual({ items: [] });
    } finally {
      await t.close();
      await rx.close();
    }
  });
});

describe.each(runners)('a manual retry of a pending delivery (%s runner)', (kind) => {
  it('sends it now instead of after its retry delay, as the same job, and the schedule goes on', async () => {
    const rx = await receiver();
    rx.answer(() => ({ status: 503 }));
    const prefix = uniquePrefix();
    const t = await createTestApp({
      env: {
        WEBHOOKS_ALLOW_PRIVATE_URLS: '1',
        ...(kind === 'bullmq' ? { REDIS_URL: testRedisUrl!, JOBS_QUEUE_PREFIX: prefix } : {}),
      },
      overrides: {
        // An hour's wait after each failure: only the manual retry can deliver within the test.
        delivery: { retryScheduleMs: [3_600_000, 3_600_000], timeoutMs: 1_000 },
        ...(kind === 'bullmq' ? { jobs: { bullmq: fastBullmq } } : {}),
      },
    });
    try {
      const u = await registerUser(t.app);
      const res = await t.app.inject({
        method: 'POST',
        url: '/webhooks/endpoints',
        headers: u.auth,
        payload: { url: rx.url('/later') },
      });
      expect(res.statusCode).toBe(201);
      const hook = res.json() as { id: string; secret: string };
      const [id] = await insertEvents(
        t.deps.db,
        u.id,
        [{ type: 'account.deleted', payload: { user_id: u.id } } as NewEvent],
        new Date(),
      );
      await t.deps.delivery.kick();
      const row = () =>
        t.deps.db
          .selectFrom('webhook_deliveries')
          .select(['status', 'attempts', 'next_attempt_at'])
          .where('endpoint_id', '=', hook.id)
          .where('event_id', '=', id!)
          .executeTakeFirst(); // none until the dispatcher has run
      const waiting = await until('the first failure', async () => {
        const r = await row();
        return r?.attempts === 1 ? r : undefined;
      });
      expect(waiting.status).toBe('pending');
      expect(waiting.next_attempt_at!.getTime()).toBeGreaterThan(Date.now() + 3_000_000);

      rx.answer(() => ({ status: 200 }));
      const retry = await t.app.inject({
        method: 'POST',
        url: `/webhooks/endpoints/${hook.id}/deliveries/${id}/retry`,
        headers: u.auth,
      });
      expect(retry.statusCode, retry.body).toBe(202);
      const done = await until('the manual retry', async () => {
        const r = await row();
        return r?.status === 'succeeded' ? r : undefined;
      });
      expect(done.attempts).toBe(2); // the count went on: not a fresh series
      const sent = rx.got.filter((r) => r.path === '/later');
      expect(sent.map((r) => r.headers['webhook-id'])).toEqual([id, id]);
      expect(() => new Webhook(hook.secret).verify(sent[1]!.body, headersOf(sent[1]!.headers))).not.toThrow();
    } finally {
      await t.close();
      await rx.close();
      if (kind === 'bullmq' && testRedisUrl) await deleteKeys(testRedisUrl, prefix);
    }
  });
});

describe('retention', () => {
  it('deletes events 30 days after dispatch once nothing is pending for them, with their log', async () => {
    const rx = await receiver();
    rx.answer(() => ({ status: 500 }));
    const clock = fakeClock('2026-12-01T00:00:00Z');
    const t = await createTestApp({
      clock,
      env: { WEBHOOKS_ALLOW_PRIVATE_URLS: '1' },
      overrides: { delivery: { retryScheduleMs: [3_600_000], timeoutMs: 1_000 } },
    });
    try {
      const a = await registerUser(t.app);
      const b = await registerUser(t.app);
      const res = await t.app.inject({
        method: 'POST',
        url: '/webhooks/endpoints',
        headers: a.auth,
        payload: { url: rx.url('/pending') },
      });
      expect(res.statusCode).toBe(201);
      const hook = res.json() as { id: string };
      const event = (u: { id: number }): NewEvent =>
        ({ type: 'account.deleted', payload: { user_id: u.id } }) as NewEvent;
      const [pending] = await insertEvents(t.deps.db, a.id, [event(a)], clock.now());
      const [settled] = await insertEvents(t.deps.db, b.id, [event(b)], clock.now());
      await t.deps.delivery.dispatch();
      await until(
        'the first failed attempt',
        async () =>
          (
            await t.deps.db
              .selectFrom('webhook_attempts')
              .select('id')
              .where('endpoint_id', '=', hook.id)
              .execute()
          ).length > 0,
      );
      const ids = async () => (await t.deps.db.selectFrom('events').select('id').execute()).map((r) => r.id);
      clock.advance(29 * 24 * 3_600_000);
      await t.deps.delivery.dispatch();
      expect(await ids()).toEqual(expect.arrayContaining([pending, settled]));
      clock.advance(2 * 24 * 3_600_000);
      await t.deps.delivery.dispatch();
      const left = await ids();
      expect(left).toContain(pending); // its delivery is still pending
      expect(left).not.toContain(settled);
    } finally {
      await t.close();
      await rx.close();
    }
  });
});

describe('retry jitter', () => {
  it('lengthens each wait by up to a tenth, at random, never shortens it', () => {
    expect(withJitter(5_000, () => 0)).toBe(5_000);
    expect(withJitter(5_000, () => 0.5)).toBe(5_250);
    expect(withJitter(5_000, () => 0.999_999)).toBe(5_500);
    const waits = Array.from({ length: 200 }, () => withJitter(300_000));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(300_000);
    expect(Math.max(...waits)).toBeLessThanOrEqual(330_000);
    expect(new Set(waits).size).toBeGreaterThan(1);
  });
});
