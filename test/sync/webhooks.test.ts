import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookSigner } from '../../src/sandbox/webhooks/signature.ts';
import {
  byDate,
  connectPerson,
  observations,
  type SyncWorld,
  settled,
  syncWorld,
} from '../helpers/sync-world.ts';

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
/** As Google sends a notification: the secret, and the body signed with the sandbox's key. */
const notify = (payload: unknown, options: { signature?: string; header?: string } = {}) => {
  const body = JSON.stringify(payload);
  return t.app.inject({
    method: 'POST',
    url: '/integrations/fitbit/webhook',
    headers: {
      authorization: SECRET,
      'content-type': 'application/json',
      [options.header ?? 'google-health-api-signature']:
        options.signature ?? t.sandbox.admin.signWebhookBody(body),
    },
    payload: body,
  });
};

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
    const res = await notify([note(c.personId), note(c.personId), note('999')]);
    expect(res.statusCode).toBe(204);
    await settled(t, c.integrationId);
    expect(await runs()).toBe(before + 1);
    expect((await notify(note('12345'))).statusCode).toBe(204);
    expect((await post({}, note(c.personId))).statusCode).toBe(401);
  });

  it('a notification needs Google’s signature over the body as sent', async () => {
    const c = await connectPerson(t, { timeZone: 'UTC', seed: 43 });
    await settled(t, c.integrationId);
    const body = {
      data: { healthUserId: c.personId, dataType: 'steps', operation: 'UPSERT', intervals: [] },
    };
    // The older header name (docs/google-health.md §8.5) is accepted too.
    expect((await notify(body, { header: 'x-healthapi-signature' })).statusCode).toBe(204);
    // The secret alone, a signature of another body, garbage, another key: 401.
    expect((await post({ authorization: SECRET }, body)).statusCode).toBe(401);
    const other = t.sandbox.admin.signWebhookBody(JSON.stringify({ ...body, extra: 1 }));
    expect((await notify(body, { signature: other })).statusCode).toBe(401);
    expect((await notify(body, { signature: 'AQAAAAE=' })).statusCode).toBe(401);
    const foreign = createWebhookSigner().sign(JSON.stringify(body));
    expect((await notify(body, { signature: foreign })).statusCode).toBe(401);
    // The handshake itself is not signed.
    expect((await post({ authorization: SECRET }, { type: 'verification' })).statusCode).toBe(201);
  });

  it('bad bodies get a 4xx, never a 500', async () => {
    const send = (contentType: string, payload: string) =>
      t.app.inject({
        method: 'POST',
        url: '/integrations/fitbit/webhook',
        headers: { authorization: SECRET, 'content-type': contentType },
        payload,
      });
    const broken = await send('application/json', '{"data":');
    expect(broken.statusCode).toBe(400);
    expect(broken.headers['content-type']).toContain('application/problem+json');
    expect(broken.json()).toMatchObject({ errors: [{ field: 'body' }] });
    // Unsigned (no signature header can match an empty or non-JSON body): refused.
    expect((await send('application/json', '')).statusCode).toBe(401);
    expect((await send('text/plain', 'hello')).statusCode).toBe(401);
  });
}, 120_000);
