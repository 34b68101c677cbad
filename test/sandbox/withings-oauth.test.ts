// Withings OAuth emulation: authorize2, 30 s single-use codes, requesttoken in the envelope (form
// body only), refresh rotation, the 10 s "same arguments" 601, signed nonce/revoke, scopes.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.ts';
import { signValues } from '../../src/sandbox/withings/signature.ts';
import type { FakeClock } from '../helpers/clock.ts';
import { shapeDiff } from './shape.ts';
import {
  ALL_W_SCOPES,
  authorize,
  call,
  connectWithings,
  exchangeCode,
  loadWithingsSample,
  Receiver,
  rawCall,
  refresh,
  startWithingsSandbox,
  W_CLIENT,
  W_REDIRECT,
} from './withings-helpers.ts';

let sandbox: Sandbox;
let clock: FakeClock;
let personId: string;

beforeEach(async () => {
  ({ sandbox, clock } = await startWithingsSandbox());
  personId = sandbox.people.createPerson({ seed: 21, timeZone: 'Europe/Paris' }).id;
});
afterEach(() => sandbox.close());

const INVALID_TOKEN = {
  status: 401,
  body: {},
  error: 'XRequestID: Not provided invalid_token: The access token provided is invalid',
};
const goals = (token: string) => call(sandbox, '/v2/user', { action: 'getgoals' }, token);

describe('authorize2 and the code', () => {
  it('redirects to the registered URI with code and state; the code works once', async () => {
    const { status, location, code } = await authorize(sandbox, personId);
    expect(status).toBe(302);
    expect(`${location?.origin}${location?.pathname}`).toBe(W_REDIRECT);
    expect(location?.searchParams.get('state')).toBe('state-w');
    const first = await exchangeCode(sandbox, code);
    expect(first.status).toBe(0);
    expect(shapeDiff(loadWithingsSample('oauth-requesttoken-response.spec-examples.json'), first)).toEqual(
      [],
    );
    expect(first.body).toMatchObject({
      userid: sandbox.withings.userIdOf(personId),
      expires_in: 10800,
      token_type: 'Bearer',
      scope: ALL_W_SCOPES.join(','),
    });
    clock.advance(11_000);
    expect(await exchangeCode(sandbox, code)).toEqual({
      status: 503,
      body: {},
      error: 'Invalid Params: invalid code',
    });
  });

  it('the code dies after 30 s; a wrong redirect_uri is refused', async () => {
    const { code } = await authorize(sandbox, personId);
    clock.advance(31_000);
    expect((await exchangeCode(sandbox, code)).error).toBe('Invalid Params: invalid code');
    const second = await authorize(sandbox, personId);
    expect(
      (await exchangeCode(sandbox, second.code, { redirect_uri: 'http://127.0.0.1:9/other' })).error,
    ).toBe('Invalid Params: invalid redirect_uri');
  });

  it('shows an error page, not a redirect, for an unregistered redirect_uri, spaces in scope or no state', async () => {
    const cases: Record<string, string>[] = [
      { redirect_uri: 'http://127.0.0.1:9/not-registered' },
      { scope: 'user.info user.metrics' },
      { state: '' },
      { response_type: 'token' },
    ];
    for (const params of cases) {
      const result = await authorize(sandbox, personId, params);
      expect(result.status).toBe(400);
      expect(result.location).toBeUndefined();
      expect(result.html).toContain('Invalid Params');
    }
  });

  it('refuses loopback redirect URIs with strictCallbackUrls, as real Withings does', async () => {
    await sandbox.close();
    ({ sandbox } = await startWithingsSandbox({ withings: { strictCallbackUrls: true } }));
    const result = await authorize(sandbox, sandbox.people.createPerson({ seed: 3 }).id);
    expect(result.status).toBe(400);
    expect(result.html).toContain('invalid redirect_uri');
  });

  it('without autoConsent shows a phone-friendly consent page; Allow grants the ticked scopes, Deny says access_denied', async () => {
    await sandbox.close();
    ({ sandbox } = await startWithingsSandbox({ autoConsent: false }));
    const person = sandbox.people.createPerson({ seed: 4 });
    const page = await authorize(sandbox, undefined, { scope: 'user.metrics,user.activity' });
    expect(page.status).toBe(200);
    expect(page.html).toContain('name="viewport"');
    expect(page.html).toContain(`userid ${person.withings.userid}`);
    const requestId = /name="request_id" value="([^"]+)"/.exec(page.html)?.[1] ?? '';
    const consent = (form: string) =>
      fetch(`${sandbox.url}/withings/oauth2_user/authorize2/consent`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
        redirect: 'manual',
      });
    const allowed = await consent(
      `request_id=${requestId}&person=${person.id}&scope=user.metrics&action=allow`,
    );
    const location = new URL(allowed.headers.get('location') ?? '');
    const token = await exchangeCode(sandbox, location.searchParams.get('code') ?? '');
    expect(token.body.scope).toBe('user.metrics');
    const again = await authorize(sandbox, undefined, { scope: 'user.metrics' });
    const denyId = /name="request_id" value="([^"]+)"/.exec(again.html)?.[1] ?? '';
    const denied = await consent(`request_id=${denyId}&person=${person.id}&action=deny`);
    const deniedAt = new URL(denied.headers.get('location') ?? '');
    expect(Object.fromEntries(deniedAt.searchParams)).toEqual({ error: 'access_denied', state: 'state-w' });
  });

  it('mode=demo signs in the demo user without a consent page', async () => {
    await sandbox.close();
    ({ sandbox } = await startWithingsSandbox({ autoConsent: false }));
    const { code } = await authorize(sandbox, undefined, { mode: 'demo' });
    const token = await exchangeCode(sandbox, code);
    expect(sandbox.withings.personIdOf(Number(token.body.userid))).toBe('withings-demo');
  });
});

describe('requesttoken', () => {
  it('reads the form body only: query parameters or JSON give "invalid grant_type"', async () => {
    const { code } = await authorize(sandbox, personId);
    const params = {
      action: 'requesttoken',
      grant_type: 'authorization_code',
      client_id: W_CLIENT.clientId,
      client_secret: W_CLIENT.clientSecret,
      code,
      redirect_uri: W_REDIRECT,
    };
    expect(await call(sandbox, '/v2/oauth2', params, undefined, 'GET')).toEqual({
      status: 503,
      body: {},
      error: 'Invalid Params: invalid grant_type',
    });
    const json = await fetch(`${sandbox.env.WITHINGS_API_URL}/v2/oauth2?action=requesttoken`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params),
    });
    expect(json.status).toBe(200);
    expect(((await json.json()) as { error: string }).error).toBe('Invalid Params: invalid grant_type');
    expect((await exchangeCode(sandbox, code)).status).toBe(0);
  });

  it('rejects a wrong client secret', async () => {
    const { code } = await authorize(sandbox, personId);
    expect((await exchangeCode(sandbox, code, { client_secret: 'nope' })).error).toBe(
      'Invalid Params: invalid client_secret',
    );
  });

  it('answers 601 with wait_seconds to the same arguments within 10 s', async () => {
    const { refreshToken } = await connectWithings(sandbox, personId);
    expect((await refresh(sandbox, refreshToken)).status).toBe(0);
    clock.advance(4_000);
    expect(await refresh(sandbox, refreshToken)).toEqual({
      status: 601,
      body: { wait_seconds: 6 },
      error: 'Same arguments in less than 10 seconds',
    });
    expect(
      shapeDiff(
        loadWithingsSample('error-601-same-arguments.3p-live.json'),
        await refresh(sandbox, refreshToken),
      ),
    ).toEqual([]);
    clock.advance(6_000);
    expect((await refresh(sandbox, refreshToken)).status).toBe(0);
  });
});

describe('refresh rotation', () => {
  it('issues a new pair; the old refresh token dies once the new access token is used', async () => {
    const first = await connectWithings(sandbox, personId);
    const rotated = await refresh(sandbox, first.refreshToken);
    expect(shapeDiff(loadWithingsSample('oauth-refresh-response.schema.json'), rotated)).toEqual([]);
    expect(rotated.body.refresh_token).not.toBe(first.refreshToken);
    clock.advance(11_000);
    // Not used yet: the old refresh token still works (a lost answer can be retried).
    const retried = await refresh(sandbox, first.refreshToken);
    expect(retried.status).toBe(0);
    expect((await goals(String(rotated.body.access_token))).status).toBe(0);
    clock.advance(11_000);
    expect(await refresh(sandbox, first.refreshToken)).toEqual({
      status: 503,
      body: {},
      error: 'Invalid Params: invalid refresh_token',
    });
    // The new refresh tokens live on.
    expect((await refresh(sandbox, String(rotated.body.refresh_token))).status).toBe(0);
    expect((await refresh(sandbox, String(retried.body.refresh_token))).status).toBe(0);
    const log = sandbox.withings.admin.requestLog();
    expect(log.grants[0]?.tokenRequests).toEqual({ authorization_code: 1, refresh_token: 5 });
    expect(log.byAction['/v2/oauth2 requesttoken']).toBe(6);
  });

  it('the old refresh token dies 8 h after its successor was issued, even unused', async () => {
    const first = await connectWithings(sandbox, personId);
    const rotated = await refresh(sandbox, first.refreshToken);
    clock.advance(8 * 3_600_000);
    expect((await refresh(sandbox, first.refreshToken)).error).toBe('Invalid Params: invalid refresh_token');
    expect((await refresh(sandbox, String(rotated.body.refresh_token))).status).toBe(0);
  });

  it('access tokens last 3 h; then 401 in the envelope on HTTP 200', async () => {
    const { accessToken } = await connectWithings(sandbox, personId);
    expect((await goals(accessToken)).status).toBe(0);
    clock.advance(3 * 3_600_000);
    const expired = await rawCall(sandbox, '/v2/user', { action: 'getgoals' }, accessToken);
    expect(expired.httpStatus).toBe(200);
    expect(JSON.parse(expired.text)).toEqual(INVALID_TOKEN);
    expect(await goals('not-a-token')).toEqual(loadWithingsSample('error-401-invalid-token.3p-live.json'));
  });

  it('takes the token as Bearer or access_token, by GET query or POST form', async () => {
    const { accessToken } = await connectWithings(sandbox, personId);
    const viaQuery = await call(
      sandbox,
      '/v2/user',
      { action: 'getgoals', access_token: accessToken },
      undefined,
      'GET',
    );
    const viaForm = await call(sandbox, '/v2/user', { action: 'getgoals', access_token: accessToken });
    const viaBearerGet = await call(sandbox, '/v2/user', { action: 'getgoals' }, accessToken, 'GET');
    for (const answer of [viaQuery, viaForm, viaBearerGet]) expect(answer.status).toBe(0);
    expect(await call(sandbox, '/v2/user', { action: 'getgoals' })).toEqual(INVALID_TOKEN);
  });
});

describe('scopes', () => {
  it('a call outside the granted scopes answers 214', async () => {
    const { accessToken } = await connectWithings(sandbox, personId, ['user.metrics']);
    expect((await call(sandbox, '/measure', { action: 'getmeas' }, accessToken)).status).toBe(0);
    for (const [path, action] of [
      ['/v2/measure', 'getactivity'],
      ['/v2/sleep', 'getsummary'],
      ['/v2/user', 'getdevice'],
    ] as const) {
      const answer = await call(sandbox, path, { action, lastupdate: '0' }, accessToken);
      expect(answer.status).toBe(214);
      expect(answer.body).toEqual({});
    }
  });
});

describe('nonce, signature and revoke', () => {
  it('signs as the published test vectors do', () => {
    const vectors = loadWithingsSample('signature-test-vectors.computed.json') as Record<
      string,
      { string_to_sign: string; signature: string }
    >;
    const secret = String((vectors as Record<string, unknown>).client_secret);
    for (const name of ['getnonce', 'revoke', 'requesttoken_signed']) {
      const vector = vectors[name];
      expect(signValues(secret, (vector?.string_to_sign ?? '').split(','))).toBe(vector?.signature);
    }
  });

  async function nonce(): Promise<string> {
    const timestamp = Math.floor(clock.now().getTime() / 1000);
    const signature = signValues(W_CLIENT.clientSecret, ['getnonce', W_CLIENT.clientId, timestamp]);
    const answer = await call(sandbox, '/v2/signature', {
      action: 'getnonce',
      client_id: W_CLIENT.clientId,
      timestamp: String(timestamp),
      signature,
    });
    expect(answer.status).toBe(0);
    return String(answer.body.nonce);
  }

  const signed = (action: string, value: string) =>
    signValues(W_CLIENT.clientSecret, [action, W_CLIENT.clientId, value]);

  it('getnonce checks the HMAC; a nonce works once and for 30 minutes', async () => {
    const bad = await call(sandbox, '/v2/signature', {
      action: 'getnonce',
      client_id: W_CLIENT.clientId,
      timestamp: '1',
      signature: 'f'.repeat(64),
    });
    expect(bad.status).toBe(342);
    const { refreshToken } = await connectWithings(sandbox, personId);
    const n = await nonce();
    const form = {
      action: 'requesttoken',
      grant_type: 'refresh_token',
      client_id: W_CLIENT.clientId,
      nonce: n,
      signature: signed('requesttoken', n),
      refresh_token: refreshToken,
    };
    expect((await call(sandbox, '/v2/oauth2', form)).status).toBe(0);
    clock.advance(11_000);
    expect((await call(sandbox, '/v2/oauth2', form)).error).toBe('Invalid Params: invalid nonce');
    const late = await nonce();
    clock.advance(30 * 60_000);
    const expired = await call(sandbox, '/v2/oauth2', {
      ...form,
      nonce: late,
      signature: signed('requesttoken', late),
    });
    expect(expired.error).toBe('Invalid Params: invalid nonce');
  });

  it('a signed revoke kills the tokens and the subscriptions of the user', async () => {
    const { accessToken, refreshToken, userid } = await connectWithings(sandbox, personId);
    const receiver = await new Receiver().start();
    const subscribed = await call(
      sandbox,
      '/notify',
      { action: 'subscribe', callbackurl: `${receiver.url}/hook`, appli: '1' },
      accessToken,
    );
    expect(subscribed.status).toBe(0);
    expect(sandbox.withings.admin.subscriptions(personId)).toHaveLength(1);
    const n = await nonce();
    const revoked = await call(sandbox, '/v2/oauth2', {
      action: 'revoke',
      client_id: W_CLIENT.clientId,
      nonce: n,
      signature: signed('revoke', n),
      userid: String(userid),
    });
    expect(revoked).toEqual(loadWithingsSample('oauth-revoke-response.schema.json'));
    expect(await goals(accessToken)).toEqual(INVALID_TOKEN);
    expect((await refresh(sandbox, refreshToken)).error).toBe('Invalid Params: invalid refresh_token');
    expect(sandbox.withings.admin.requestLog().grants[0]?.revoked).toBe(true);
    expect(sandbox.withings.admin.subscriptions(personId)).toEqual([]);
    await receiver.close();
  });

  it('getdemoaccess gives tokens for the demo user', async () => {
    const n = await nonce();
    const answer = await call(sandbox, '/v2/oauth2', {
      action: 'getdemoaccess',
      client_id: W_CLIENT.clientId,
      nonce: n,
      signature: signed('getdemoaccess', n),
      scope_oauth2: 'user.metrics,user.info',
    });
    expect(answer.status).toBe(0);
    expect(sandbox.withings.personIdOf(Number(answer.body.userid))).toBe('withings-demo');
    expect((await goals(String(answer.body.access_token))).status).toBe(0);
  });
});
