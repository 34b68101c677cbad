// Google OAuth emulation: codes, PKCE, client auth, refresh, revoke, consent (docs/google-health.md §2).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.ts';
import type { FakeClock } from '../helpers/clock.ts';
import {
  ALL_SCOPES,
  api,
  authorizeCode,
  CLIENT,
  connect,
  exchangeCode,
  listPath,
  pkcePair,
  postForm,
  REDIRECT_URI,
  SCOPES,
  startTestSandbox,
} from './helpers.ts';

let sandbox: Sandbox;
let clock: FakeClock;
let personId: string;

beforeEach(async () => {
  ({ sandbox, clock } = await startTestSandbox({ refreshTokenTtlDays: 7 }));
  personId = sandbox.people.createPerson({ seed: 11 }).id;
});
afterEach(() => sandbox.close());

function refresh(refreshToken: string) {
  return postForm(`${sandbox.url}/token`, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: CLIENT.clientId,
    client_secret: CLIENT.clientSecret,
  });
}

describe('authorization code', () => {
  it('redirects with code and state, and the code is single-use', async () => {
    const { code, location } = await authorizeCode(sandbox, { login_hint: personId });
    expect(location.origin + location.pathname).toBe(REDIRECT_URI);
    expect(location.searchParams.get('state')).toBe('state-1');
    const first = await exchangeCode(sandbox, code);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      expires_in: 3599,
      token_type: 'Bearer',
      refresh_token_expires_in: 604799,
    });
    expect(String(first.body.scope).split(' ').sort()).toEqual([...ALL_SCOPES].sort());
    const again = await exchangeCode(sandbox, code);
    expect(again).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Bad Request' },
    });
  });

  it('rejects an unknown code, an expired code and a redirect_uri mismatch', async () => {
    expect((await exchangeCode(sandbox, 'bogus')).body.error).toBe('invalid_grant');
    const { code } = await authorizeCode(sandbox, { login_hint: personId });
    expect(await exchangeCode(sandbox, code, { redirect_uri: 'http://127.0.0.1:9/other' })).toEqual({
      status: 400,
      body: { error: 'redirect_uri_mismatch', error_description: 'Bad Request' },
    });
    const late = await authorizeCode(sandbox, { login_hint: personId });
    clock.advance(10 * 60_000);
    expect((await exchangeCode(sandbox, late.code)).body.error).toBe('invalid_grant');
  });

  it('verifies PKCE S256 when a challenge was sent', async () => {
    const { verifier, challenge } = pkcePair();
    const pkce = { code_challenge: challenge, code_challenge_method: 'S256', login_hint: personId };
    const wrong = await authorizeCode(sandbox, pkce);
    expect(await exchangeCode(sandbox, wrong.code, { code_verifier: 'x'.repeat(43) })).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid code verifier.' },
    });
    const missing = await authorizeCode(sandbox, pkce);
    expect((await exchangeCode(sandbox, missing.code)).body.error_description).toBe('Missing code verifier.');
    const right = await authorizeCode(sandbox, pkce);
    expect((await exchangeCode(sandbox, right.code, { code_verifier: verifier })).status).toBe(200);
  });

  it('authenticates the client by client_secret_post or Basic', async () => {
    const { code } = await authorizeCode(sandbox, { login_hint: personId });
    const bad = await exchangeCode(sandbox, code, { client_secret: 'wrong' });
    expect(bad).toEqual({
      status: 401,
      body: { error: 'invalid_client', error_description: 'Unauthorized' },
    });
    const basic = Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64');
    const viaBasic = await postForm(
      `${sandbox.url}/token`,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
      { authorization: `Basic ${basic}` },
    );
    expect(viaBasic.status).toBe(200);
  });

  it('shows an error page, not a redirect, for an unregistered redirect_uri', async () => {
    const url = `${sandbox.url}/o/oauth2/v2/auth?client_id=${CLIENT.clientId}&redirect_uri=http://evil.example/cb&response_type=code&scope=${SCOPES.activity}`;
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('redirect_uri_mismatch');
  });

  it('gives a refresh token only with access_type=offline, and on first consent unless prompt=consent', async () => {
    const online = await authorizeCode(sandbox, { login_hint: personId, access_type: 'online' });
    expect((await exchangeCode(sandbox, online.code)).body.refresh_token).toBeUndefined();
    const first = await authorizeCode(sandbox, { login_hint: personId });
    expect((await exchangeCode(sandbox, first.code)).body.refresh_token).toEqual(expect.any(String));
    const second = await authorizeCode(sandbox, { login_hint: personId });
    expect((await exchangeCode(sandbox, second.code)).body.refresh_token).toBeUndefined();
    const forced = await authorizeCode(sandbox, { login_hint: personId, prompt: 'consent' });
    expect((await exchangeCode(sandbox, forced.code)).body.refresh_token).toEqual(expect.any(String));
  });
});

describe('refresh and revoke', () => {
  it('refresh tokens are reusable, give 3599 s tokens and no new refresh token; counts per grant', async () => {
    const { refreshToken } = await connect(sandbox, personId);
    for (let i = 0; i < 2; i++) {
      const response = await refresh(refreshToken);
      expect(response.status).toBe(200);
      expect(response.body.expires_in).toBe(3599);
      expect(response.body.refresh_token).toBeUndefined();
    }
    const grant = sandbox.admin.requestLog().grants.find((g) => g.personId === personId);
    expect(grant?.tokenRequests).toEqual({ authorization_code: 1, refresh_token: 2 });
  });

  it('access tokens expire after 3599 s (401), refresh tokens after 7 days in testing mode', async () => {
    const { accessToken, refreshToken } = await connect(sandbox, personId);
    expect((await api(sandbox, accessToken, listPath('steps', { pageSize: '1' }))).status).toBe(200);
    clock.advance(3599_000);
    const expired = await api(sandbox, accessToken, listPath('steps', { pageSize: '1' }));
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ error: { status: 'UNAUTHENTICATED' } });
    clock.advance(7 * 86_400_000);
    expect(await refresh(refreshToken)).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
    });
  });

  it('revoke kills the grant: API 401, refresh invalid_grant, second revoke 400', async () => {
    const { accessToken, refreshToken } = await connect(sandbox, personId);
    const revoked = await postForm(`${sandbox.url}/revoke`, { token: refreshToken });
    expect(revoked).toEqual({ status: 200, body: {} });
    expect((await api(sandbox, accessToken, '/v4/users/me/identity')).status).toBe(401);
    expect((await refresh(refreshToken)).body.error).toBe('invalid_grant');
    expect((await postForm(`${sandbox.url}/revoke`, { token: refreshToken })).status).toBe(400);
    expect(sandbox.admin.requestLog().tokens.tokensRevoked).toBe(1);
  });

  it('admin.revokeGrant has the same effect', async () => {
    const { accessToken, refreshToken } = await connect(sandbox, personId);
    expect(await sandbox.admin.revokeGrant(personId)).toBe(1);
    expect((await api(sandbox, accessToken, '/v4/users/me/identity')).status).toBe(401);
    expect((await refresh(refreshToken)).body.error).toBe('invalid_grant');
  });
});

describe('consent page', () => {
  async function consentForm(extra: Record<string, string>): Promise<{ requestId: string; html: string }> {
    const url = new URL(`${sandbox.url}/o/oauth2/v2/auth`);
    const params = {
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: [SCOPES.activity, SCOPES.sleep].join(' '),
      access_type: 'offline',
      state: 's',
      ...extra,
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const html = await (await fetch(url)).text();
    return { html, requestId: /name="request_id" value="([^"]+)"/.exec(html)?.[1] ?? '' };
  }

  async function submit(fields: [string, string][]): Promise<URL> {
    const response = await fetch(`${sandbox.url}/o/oauth2/v2/auth/consent`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });
    return new URL(response.headers.get('location') ?? 'http://invalid/');
  }

  beforeEach(async () => {
    await sandbox.close();
    ({ sandbox, clock } = await startTestSandbox({ autoConsent: false }));
    personId = sandbox.people.createPerson({ seed: 12 }).id;
  });

  it('lists people and scopes; unticking a scope grants only the rest', async () => {
    const { html, requestId } = await consentForm({ login_hint: personId });
    expect(html).toContain(personId);
    expect(html).toContain(SCOPES.sleep);
    const location = await submit([
      ['request_id', requestId],
      ['person', personId],
      ['scope', SCOPES.activity],
      ['action', 'allow'],
    ]);
    const token = await exchangeCode(sandbox, location.searchParams.get('code') ?? '');
    expect(token.body.scope).toBe(SCOPES.activity);
    const sleep = await api(sandbox, String(token.body.access_token), listPath('sleep'));
    expect(sleep.status).toBe(403);
  });

  it('include_granted_scopes adds earlier grants to the new token', async () => {
    const first = await consentForm({ login_hint: personId, scope: SCOPES.sleep });
    await submit([
      ['request_id', first.requestId],
      ['person', personId],
      ['scope', SCOPES.sleep],
      ['action', 'allow'],
    ]);
    const second = await consentForm({
      login_hint: personId,
      scope: SCOPES.activity,
      include_granted_scopes: 'true',
    });
    const location = await submit([
      ['request_id', second.requestId],
      ['person', personId],
      ['scope', SCOPES.activity],
      ['action', 'allow'],
    ]);
    const token = await exchangeCode(sandbox, location.searchParams.get('code') ?? '');
    expect(String(token.body.scope).split(' ').sort()).toEqual([SCOPES.activity, SCOPES.sleep].sort());
  });

  it('Deny redirects with error=access_denied and the state', async () => {
    const { requestId } = await consentForm({});
    const location = await submit([
      ['request_id', requestId],
      ['action', 'deny'],
    ]);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('s');
  });
});
