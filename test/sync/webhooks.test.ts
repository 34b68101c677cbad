import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byDate, connectPerson, observations, type SyncWorld, settled, syncWorld } from './helpers.ts';

// The Google Health webhook: the two-request handshake, and notifications that lead to the new
// data being stored, through the sandbox's real subscriber registration and deliveries.
const SECRET = 'Bearer test-webhook-secret-0123456789';
let t: SyncWorld;
let endpoint: string;
beforeAll(async () => {
  t = await syncWorld({ start: '2026-11-20T15:00:00Z', env: { GOOGLE_HEALTH_WEBHOOK_SECRET: SECRET } });
  const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
  endpoint = `${address}/integrations/fitbit/webhook`;
});
afterAll(async () => t?.close());

const post = (headers: Record<string, string>, payload: unknown) =>
  t.app.inject({ method: 'POST', url: '/integrations/fitbit/webhook', headers, payload: payload as object });

describe('verification handshake', () => {
  it('201 with the secret, 401 without it, 403 with a wrong one', async () => {
    const body = { type: 'verification' };
    expect((await post({ authorization: SECRET }, body)).statusCode).toBe(201);
    expect((await post({}, body)).statusCode).toBe(401);
    expect((await post({ authorization: 'Bearer nope' }, body)).statusCode).toBe(403);
  });

  it('the sandbox accepts the app as a subscriber only with the right secret', async () => {
    const register = (id: string, secret: string) =>
      fetch(`${t.sandbox.url}/v4/projects/123456789/subscribers?subscriberId=${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          endpointUri: endpoint,
          subscriberConfigs: [
            { dataTypes: ['steps', 'sleep', 'heart-rate'], subscriptionCreatePolicy: 'AUTOMATIC' },
          ],
          endpointAuthorization: { secret },
        }),
      });
    const wrong = await register('phr-wrong', 'Bearer wrong');
    expect(wrong.status).toBe(400);
    const ok = await register('phr-test', SECRET);
    expect(ok.status, await ok.clone().text()).toBe(200);
  });
});

describe('notifications', () => {
  it('a late device sync of an old day reaches the store through the webhook', async () => {
    const c = await connectPerson(t, { timeZone: 'America/New_York', seed: 41 });
    await settled(t, c.integrationId);
    const date = '2026-11-05'; // far outside the polling overlap
    const before = byDate(await observations(t, c.user.auth, 'steps')).get(date);
    const started = Date.now();
    const truth = await t.sandbox.admin.rewriteDay(c.personId, date); // notifies
    const deliveries = t.sandbox.admin.webhookDeliveries().filter((d) => d.personId === c.personId);
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries.every((d) => d.state === 'delivered' && d.attempts[0]?.status === 204)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    await settled(t, c.integrationId);

    const after = byDate(await observations(t, c.user.auth, 'steps')).get(date);
    expect(after?.id).toBe(before?.id);
    expect(after?.value).toBe(truth.steps);
    const sleep = byDate(await observations(t, c.user.auth, 'sleep')).get(date);
    expect(sleep?.value).toBe(truth.sleep?.minutesAsleep);
  });

  it('duplicates coalesce and unknown users are ignored', async () => {
    const c = await connectPerson(t, { timeZone: 'UTC', seed: 42 });
    await settled(t, c.integrationId);
    const runs = async () =>
      (
        await t.deps.db
          .selectFrom('sync_run_items')
          .select('run_id')
          .where('integration_id', '=', c.integrationId)
          .execute()
      ).length;
    const before = await runs();
    const note = (user: string) => ({
      data: {
        version: '1',
        healthUserId: user,
        operation: 'UPSERT',
        dataType: 'steps',
        intervals: [
          { civilIso8601TimeInterval: { startTime: '2026-11-10T00:00:00', endTime: '2026-11-11T00:00:00' } },
        ],
      },
    });
    const res = await post({ authorization: SECRET }, [note(c.personId), note(c.personId), note('999')]);
    expect(res.statusCode).toBe(204);
    await settled(t, c.integrationId);
    expect(await runs()).toBe(before + 1);
    expect((await post({ authorization: SECRET }, note('12345'))).statusCode).toBe(204);
    expect((await post({}, note(c.personId))).statusCode).toBe(401);
  });
}, 120_000);
