import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../helpers/app.ts';
import { connectVendor } from '../helpers/flow.ts';
import { observations, type SyncWorld, settled, syncWorld } from '../helpers/sync-world.ts';

// Withings pushes, for real: the app listens on a loopback port given to Withings as its
// notification URL. Connecting subscribes (Withings checks the URL with a HEAD first), a new
// weigh-in at Withings arrives by its form-encoded notification and is synced without polling,
// unlinking at Withings turns the integration needs_reauth, and disconnecting unsubscribes.
const SECRET = 'withings-push-secret-0123456789abcdefgh';

let t: SyncWorld;
beforeAll(async () => {
  const port = await freePort();
  t = await syncWorld({
    start: '2026-11-20T09:30:00Z',
    env: { WITHINGS_WEBHOOK_SECRET: SECRET, PUBLIC_BASE_URL: `http://127.0.0.1:${port}` },
    sandbox: { withings: { notifyRetryDelaysMs: [50, 50, 50, 50] } },
  });
  await t.app.listen({ port, host: '127.0.0.1' });
});
afterAll(async () => {
  await t?.close();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function connect() {
  const user = await registerUser(t.app);
  const p = t.sandbox.people.createPerson({
    days: 10,
    timeZone: 'Europe/Berlin',
    fitbit: false,
    withings: { scale: true, bpCuff: true, sleepAnalyzer: true, watch: true },
  });
  await connectVendor(t.app, user.auth, 'withings', p.id);
  const list = await t.app.inject({ url: '/integrations/vendors', headers: user.auth });
  const integrationId = list.json().integrations[0].id as string;
  await settled(t, integrationId);
  return { user, personId: p.id, integrationId };
}

describe('Withings notifications', () => {
  it('subscribes at connect, syncs what a notification announces, unsubscribes at disconnect', async () => {
    const { user, personId, integrationId } = await connect();
    const admin = t.sandbox.withings.admin;
    const subscribed = admin.subscriptions(personId);
    expect(subscribed.map((s) => s.appli).sort((a, b) => a - b)).toEqual([1, 2, 4, 16, 44]);
    expect(new Set(subscribed.map((s) => s.callbackurl))).toEqual(
      new Set([`${t.deps.config.publicBaseUrl}/webhooks/withings/${SECRET}`]),
    );

    // A weigh-in at Withings: its notification reaches the app, which syncs that window.
    const date = Math.floor(t.clock.now().getTime() / 1000) - 3600;
    await admin.addMeasureGroup(personId, {
      date,
      measures: [{ type: 1, value: 80321, unit: -3 }],
      device: 'scale',
    });
    await admin.settled();
    const delivered = admin.deliveries().filter((d) => d.personId === personId);
    expect(delivered.at(-1)?.attempts.at(-1)?.status).toBe(200);
    await settled(t, integrationId);
    expect((await observations(t, user.auth, 'body_weight')).map((o) => o.value)).toContain(80.321);
    const runs = await t.deps.db
      .selectFrom('sync_runs')
      .select('reason')
      .where('user_id', '=', user.id)
      .execute();
    expect(runs.map((r) => r.reason)).toContain('webhook');

    // Disconnecting revokes the subscriptions (and the grant).
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/integrations/vendors/${integrationId}`,
      headers: user.auth,
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
    expect(admin.subscriptions(personId)).toEqual([]);
  });

  it('a person unlinking the app at Withings puts the integration in needs_reauth', async () => {
    const { user, personId } = await connect();
    await t.sandbox.withings.admin.unlink(personId);
    await t.sandbox.withings.admin.settled();
    const status = await t.app.inject({ url: '/integrations/withings/status', headers: user.auth });
    expect(status.json()).toMatchObject({ status: 'needs_reauth', connected: false });
  });
});
