// Withings notifications: subscribe checks the URL with a HEAD (293 unless 2xx), list/get/update/
// revoke, unsigned form POSTs to the URL as registered, failures (>= 400, timeout) retried in
// compressed cycles, optional removal after 4 failures, duplicates, data changes and unlink.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.ts';
import type { FakeClock } from '../helpers/clock.ts';
import { shapeDiff } from './shape.ts';
import {
  call,
  connectWithings,
  loadWithingsSample,
  Receiver,
  startWithingsSandbox,
  W_CLIENT,
} from './withings-helpers.ts';

let sandbox: Sandbox;
let clock: FakeClock;
let receiver: Receiver;
let personId: string;
let token: string;
let userid: number;

async function start(withings: Parameters<typeof startWithingsSandbox>[0] = {}) {
  ({ sandbox, clock } = await startWithingsSandbox({
    withings: { notifyTimeoutMs: 500, notifyRetryDelaysMs: [5, 5, 5, 5] },
    ...withings,
  }));
  personId = sandbox.people.createPerson({ seed: 41, timeZone: 'America/New_York' }).id;
  ({ accessToken: token, userid } = await connectWithings(sandbox, personId));
}

beforeEach(async () => {
  receiver = await new Receiver().start();
  await start();
});
afterEach(async () => {
  await sandbox.close();
  await receiver.close();
});

const notifyCall = (params: Record<string, string>, accessToken = token) =>
  call(sandbox, '/notify', params, accessToken);
const subscribe = (callbackurl: string, appli = '1', comment = 'phr') =>
  notifyCall({ action: 'subscribe', callbackurl, appli, comment });

describe('subscriptions', () => {
  it('subscribe sends a HEAD to the URL and answers 293 unless it gets 2xx', async () => {
    const url = `${receiver.url}/withings/notify?secret=abc`;
    const answer = await subscribe(url);
    expect(answer).toEqual(loadWithingsSample('notify-subscribe.aiowithings.json'));
    expect(receiver.received.map((r) => [r.method, r.url])).toEqual([
      ['HEAD', '/withings/notify?secret=abc'],
    ]);
    receiver.headStatus = 404;
    expect(await subscribe(`${receiver.url}/other`, '4')).toEqual({
      status: 293,
      body: {},
      error: 'The callback URL is either unknown or invalid',
    });
    expect((await subscribe('http://127.0.0.1:1/unreachable', '4')).status).toBe(293);
    expect((await subscribe('not a url', '4')).status).toBe(293);
    expect(sandbox.withings.admin.subscriptions(personId).map((s) => s.appli)).toEqual([1]);
  });

  it('with strictCallbackUrls refuses http, IPs, localhost and odd ports before any HEAD', async () => {
    await sandbox.close();
    // Real Withings wants an https redirect URI too; the browser never follows it here.
    const redirect = 'https://phr.example/integrations/withings/callback';
    ({ sandbox } = await startWithingsSandbox({
      withings: { strictCallbackUrls: true },
      withingsClients: [{ ...W_CLIENT, redirectUris: [redirect] }],
    }));
    personId = sandbox.people.createPerson({ seed: 41 }).id;
    ({ accessToken: token } = await connectWithings(sandbox, personId, undefined, redirect));
    for (const url of [
      `${receiver.url}/hook`,
      'https://127.0.0.1/hook',
      'https://localhost/hook',
      'https://example.test:8443/hook',
      `https://example.test/${'x'.repeat(260)}`,
    ]) {
      expect((await subscribe(url)).status).toBe(293);
    }
    expect(receiver.received).toEqual([]);
  });

  it('needs the scope of the category; list, get, update and revoke work per app and user', async () => {
    const other = sandbox.people.createPerson({ seed: 42 });
    const metricsOnly = await connectWithings(sandbox, other.id, ['user.metrics']);
    expect((await subscribe(`${receiver.url}/a`, '16', 'x')).status).toBe(0);
    expect(
      (
        await notifyCall(
          { action: 'subscribe', callbackurl: `${receiver.url}/a`, appli: '16' },
          metricsOnly.accessToken,
        )
      ).status,
    ).toBe(214);
    expect(
      (await notifyCall({ action: 'subscribe', callbackurl: `${receiver.url}/a`, appli: '99' })).status,
    ).toBe(503);
    await subscribe(`${receiver.url}/a`, '1', 'weight');
    const list = await notifyCall({ action: 'list' });
    expect(shapeDiff(loadWithingsSample('notify-list.aiowithings.json'), list)).toEqual([]);
    expect((list.body.profiles as { appli: number }[]).map((p) => p.appli).sort()).toEqual([1, 16]);
    expect((await notifyCall({ action: 'list' }, metricsOnly.accessToken)).body).toEqual({ profiles: [] });
    expect((await notifyCall({ action: 'get', callbackurl: `${receiver.url}/a` })).body).toEqual({
      appli: 1,
      callbackurl: `${receiver.url}/a`,
      comment: 'weight',
    });
    expect((await notifyCall({ action: 'get', callbackurl: `${receiver.url}/nope` })).status).toBe(286);
    const moved = await notifyCall({
      action: 'update',
      callbackurl: `${receiver.url}/a`,
      appli: '1',
      new_callbackurl: `${receiver.url}/b`,
    });
    expect(moved.status).toBe(0);
    expect((await notifyCall({ action: 'get', callbackurl: `${receiver.url}/b`, appli: '1' })).status).toBe(
      0,
    );
    expect(
      (await notifyCall({ action: 'revoke', callbackurl: `${receiver.url}/b`, appli: '1' })).status,
    ).toBe(0);
    expect(
      (await notifyCall({ action: 'revoke', callbackurl: `${receiver.url}/b`, appli: '1' })).status,
    ).toBe(286);
    expect(sandbox.withings.admin.subscriptions(personId).map((s) => s.appli)).toEqual([16]);
  });
});

describe('deliveries', () => {
  it('POSTs the form body to the URL exactly as registered, unsigned', async () => {
    await subscribe(`${receiver.url}/hook?token=s3cret`, '1');
    await subscribe(`${receiver.url}/hook?token=s3cret`, '16');
    await subscribe(`${receiver.url}/hook?token=s3cret`, '46');
    await sandbox.withings.admin.notify(personId, { appli: 1, startdate: 1530576000, enddate: 1530698753 });
    await sandbox.withings.admin.notify(personId, { appli: 16, date: '2026-11-19' });
    await sandbox.withings.admin.notify(personId, { appli: 46, action: 'unlink' });
    const posts = receiver.posts();
    expect(posts.map((p) => p.url)).toEqual(Array(3).fill('/hook?token=s3cret'));
    expect(posts.map((p) => p.body)).toEqual([
      `userid=${userid}&appli=1&startdate=1530576000&enddate=1530698753`,
      `userid=${userid}&appli=16&date=2026-11-19`,
      `userid=${userid}&appli=46&action=unlink`,
    ]);
    expect(posts[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.keys(posts[0]?.headers ?? {}).filter((h) => /signature|authorization/i.test(h))).toEqual(
      [],
    );
    expect(sandbox.withings.admin.deliveries().map((d) => d.state)).toEqual([
      'delivered',
      'delivered',
      'delivered',
    ]);
  });

  it('retries failures (>= 400 or no answer in time) in cycles of two tries, then gives up', async () => {
    await subscribe(`${receiver.url}/hook`, '4');
    receiver.postStatuses = [500, 0, 404];
    const [first] = await sandbox.withings.admin.notify(personId, { appli: 4, startdate: 1, enddate: 2 });
    expect(first?.state).toBe('pending');
    expect(first?.attempts.map((a) => a.status ?? a.error)).toEqual([500, 'timeout']);
    await sandbox.withings.admin.settled();
    const [done] = sandbox.withings.admin.deliveries();
    expect(done?.state).toBe('delivered');
    expect(done?.cycles).toBe(2);
    expect(done?.attempts.map((a) => a.status ?? a.error)).toEqual([500, 'timeout', 404, 200]);
    receiver.postStatuses = Array(10).fill(503);
    await sandbox.withings.admin.notify(personId, { appli: 4, startdate: 3, enddate: 4 });
    await sandbox.withings.admin.settled();
    const failed = sandbox.withings.admin.deliveries()[1];
    expect(failed?.state).toBe('failed');
    expect(failed?.attempts).toHaveLength(10);
    // Without the removal rule the subscription stays.
    expect(sandbox.withings.admin.subscriptions(personId)).toHaveLength(1);
  });

  it('can remove a subscription after 4 failed tries in a row', async () => {
    await sandbox.close();
    await start({
      withings: { notifyTimeoutMs: 500, notifyRetryDelaysMs: [5, 5, 5, 5], notifyRemoveAfterFailures: 4 },
    });
    await subscribe(`${receiver.url}/hook`, '44');
    receiver.postStatuses = Array(10).fill(500);
    await sandbox.withings.admin.notify(personId, { appli: 44, startdate: 1, enddate: 2 });
    await sandbox.withings.admin.settled();
    expect(sandbox.withings.admin.deliveries()[0]?.attempts).toHaveLength(4);
    expect(sandbox.withings.admin.subscriptions(personId)).toEqual([]);
  });

  it('waits between cycles unless told to deliver now; replays send a duplicate', async () => {
    await sandbox.close();
    await start({ withings: { notifyRetryDelaysMs: [3_600_000] } });
    await subscribe(`${receiver.url}/hook`, '1');
    receiver.postStatuses = [500, 500];
    const [pending] = await sandbox.withings.admin.notify(personId, { appli: 1, startdate: 10, enddate: 20 });
    expect(pending?.state).toBe('pending');
    const [retried] = await sandbox.withings.admin.deliverPending();
    expect(retried?.state).toBe('delivered');
    const duplicate = await sandbox.withings.admin.replay(pending?.id ?? '');
    expect(duplicate).toMatchObject({ state: 'delivered', duplicateOf: pending?.id, body: pending?.body });
    expect(receiver.posts().map((p) => p.body)).toEqual(Array(4).fill(pending?.body));
  });

  it('data changes notify their window: a weigh-in (appli 1 and 4), an activity day (16), a night (44), a deletion', async () => {
    for (const appli of ['1', '4', '16', '44']) await subscribe(`${receiver.url}/hook`, appli);
    const date = Math.floor(clock.now().getTime() / 1000) - 3600;
    const group = await sandbox.withings.admin.addMeasureGroup(personId, {
      date,
      measures: [
        { value: 7245, type: 1, unit: -2 },
        { value: 64, type: 11, unit: 0 },
      ],
    });
    await sandbox.withings.admin.setActivityDay(personId, '2026-11-18', { steps: 12345 });
    const night = sandbox.withings.groundTruth(personId).sleepSummaries[0];
    await sandbox.withings.admin.setSleepSummary(personId, { id: night?.id ?? 0, data: { sleep_score: 99 } });
    await sandbox.withings.admin.deleteMeasureGroup(personId, group.grpid);
    expect(receiver.posts().map((p) => p.body)).toEqual([
      `userid=${userid}&appli=1&startdate=${date}&enddate=${date + 1}`,
      `userid=${userid}&appli=4&startdate=${date}&enddate=${date + 1}`,
      `userid=${userid}&appli=16&date=2026-11-18`,
      `userid=${userid}&appli=44&startdate=${night?.startdate}&enddate=${night?.enddate}`,
      `userid=${userid}&appli=1&startdate=${date}&enddate=${date + 1}`,
      `userid=${userid}&appli=4&startdate=${date}&enddate=${date + 1}`,
    ]);
    const truth = sandbox.withings.groundTruth(personId);
    expect(truth.activities.find((r) => r.date === '2026-11-18')?.steps).toBe(12345);
    expect(truth.sleepSummaries.find((s) => s.id === night?.id)?.data.sleep_score).toBe(99);
  });

  it('notifyChangesSince sends what arrived while the clock moved', async () => {
    for (const appli of ['1', '4', '16', '44']) await subscribe(`${receiver.url}/hook`, appli);
    const since = Math.floor(clock.now().getTime() / 1000);
    clock.advance(24 * 3_600_000);
    ({ accessToken: token } = await connectWithings(sandbox, personId));
    const deliveries = await sandbox.withings.admin.notifyChangesSince(personId, since);
    const applis = new Set(deliveries.map((d) => d.appli));
    expect(applis).toContain(16);
    expect(applis).toContain(44);
    for (const body of receiver.posts().map((p) => new URLSearchParams(p.body))) {
      if (body.get('appli') === '1') {
        const changed = await call(
          sandbox,
          '/measure',
          { action: 'getmeas', startdate: body.get('startdate') ?? '', enddate: body.get('enddate') ?? '' },
          token,
        );
        expect((changed.body.measuregrps as unknown[]).length).toBeGreaterThan(0);
      }
    }
  });

  it('unlink sends appli 46 to the app, then its tokens and subscriptions die', async () => {
    await subscribe(`${receiver.url}/hook`, '1');
    await sandbox.withings.admin.unlink(personId);
    expect(receiver.posts().map((p) => p.body)).toEqual([`userid=${userid}&appli=46&action=unlink`]);
    expect((await call(sandbox, '/v2/user', { action: 'getgoals' }, token)).status).toBe(401);
    expect(sandbox.withings.admin.subscriptions(personId)).toEqual([]);
  });
});
