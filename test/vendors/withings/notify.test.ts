import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundHttp } from '../../../src/http/outbound.ts';
import { WithingsApiError } from '../../../src/vendors/withings/errors.ts';
import {
  createWithingsNotify,
  notifyApplisFor,
  WITHINGS_APPLI,
} from '../../../src/vendors/withings/notify.ts';
import { createWithingsOAuth } from '../../../src/vendors/withings/oauth.ts';
import { fixture, STUB_CLIENT, startWithingsStub, type WithingsStub } from './stub.ts';

// Notification subscriptions with the user's token, against the stub notify service.
const CALLBACK = 'https://phr.example/webhooks/withings/0123456789abcdef0123456789abcdef';
let stub: WithingsStub;
let notify: ReturnType<typeof createWithingsNotify>;
let accessToken: string;
beforeAll(async () => {
  stub = await startWithingsStub();
  const http = createOutboundHttp({ fetch: globalThis.fetch, maxRetries: 0 });
  const now = () => new Date('2026-12-01T10:00:00Z');
  notify = createWithingsNotify({ http, apiUrl: stub.url, now });
  const oauth = createWithingsOAuth(
    {
      ...STUB_CLIENT,
      redirectUri: 'https://phr.example/cb',
      authorizeUrl: 'https://a.example/x',
      apiUrl: stub.url,
    },
    http,
    now,
  );
  const code = stub.issueCode({ userid: 5001 });
  ({ accessToken } = await oauth.exchangeCode(new URLSearchParams({ code, state: 's' }), {
    state: 's',
    codeVerifier: 'unused',
  }));
});
afterAll(async () => stub?.close());

describe('Withings notify', () => {
  it('subscribes, lists and revokes with the bearer token', async () => {
    await notify.subscribe(accessToken, {
      callbackUrl: CALLBACK,
      appli: WITHINGS_APPLI.weight,
      comment: 'phr',
    });
    await notify.subscribe(accessToken, { callbackUrl: CALLBACK, appli: WITHINGS_APPLI.sleep });
    const subscribe = stub.requests.find((r) => r.form.action === 'subscribe');
    expect(subscribe).toMatchObject({
      path: '/notify',
      authorization: `Bearer ${accessToken}`,
      form: { action: 'subscribe', callbackurl: CALLBACK, appli: '1', comment: 'phr' },
    });
    expect(await notify.list(accessToken)).toEqual([
      { appli: 1, callbackUrl: CALLBACK, comment: 'phr' },
      { appli: 44, callbackUrl: CALLBACK, comment: '' },
    ]);
    expect(await notify.list(accessToken, { appli: 44 })).toEqual([
      { appli: 44, callbackUrl: CALLBACK, comment: '' },
    ]);

    await notify.revokeSubscription(accessToken, { callbackUrl: CALLBACK, appli: 1 });
    expect((await notify.list(accessToken)).map((s) => s.appli)).toEqual([44]);
    expect(stub.subscriptions.map((s) => [s.userid, s.appli])).toEqual([['5001', 44]]);
  });

  it('reads the recorded list answer', async () => {
    stub.queue('/notify', { json: fixture('notify-list.aiowithings.json') });
    expect(await notify.list(accessToken)).toEqual([
      { appli: 1, callbackUrl: 'https://www.withings.com', comment: 'My notification subscription' },
    ]);
  });

  it('a refused callback URL (293) and a missing subscription (286) are client errors', async () => {
    const refused = await notify
      .subscribe(accessToken, { callbackUrl: 'http://phr.example/hook', appli: 1 })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WithingsApiError);
    expect(refused).toMatchObject({ withingsStatus: 293, family: 'invalid_params', retryable: false });
    await expect(
      notify.revokeSubscription(accessToken, { callbackUrl: CALLBACK, appli: 16 }),
    ).rejects.toMatchObject({
      withingsStatus: 286,
    });
  });

  it('an unknown token is the auth family (a 401 for the access-token service)', async () => {
    await expect(notify.list('not-a-token')).rejects.toMatchObject({ family: 'auth', vendorStatus: 401 });
  });

  it('names the data categories a grant can be notified of', () => {
    expect(notifyApplisFor(['user.metrics', 'user.activity', 'user.info'])).toEqual([1, 2, 4, 16, 44]);
    expect(notifyApplisFor(['user.activity'])).toEqual([16, 44]);
    expect(notifyApplisFor(['user.info'])).toEqual([]);
  });
});
