/**
 * Logs hold no credentials and no personal data: a whole journey at LOG_LEVEL=trace (register,
 * log in, connect Fitbit through the sandbox, sync, write an Observation with a note, search,
 * export, and the usual mistakes along the way), then every log line is searched for each secret,
 * email address and health value the journey used.
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, uniqueEmail } from '../helpers/app.ts';
import { dartLocal, singleValue } from '../helpers/app-bodies.ts';
import { consentWithForm, deliverCallback, startAuthorize } from '../helpers/flow.ts';
import { type SyncWorld, settled, syncWorld } from '../helpers/sync-world.ts';

let t: SyncWorld;
beforeAll(async () => {
  t = await syncWorld({ start: '2026-11-20T09:30:00Z', env: { LOG_LEVEL: 'trace' } });
});
afterAll(async () => t?.close());

const EMAIL = /[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/;

describe('a whole journey at LOG_LEVEL=trace', () => {
  it('leaves no token, password, email, authorization code, state or health value in the logs', async () => {
    const email = uniqueEmail('log.journey');
    const password = 'journey-password-5d1e9c';
    const name = 'Adelheid Journeywoman';
    const user = await registerUser(t.app, { email, password, name });
    const json = { 'content-type': 'application/json' };
    const inject = (o: InjectOptions) => t.app.inject(o);

    // Accounts, with the mistakes people make.
    const login = await inject({
      method: 'POST',
      url: '/auth/login',
      headers: json,
      payload: { email, password },
    });
    expect(login.statusCode).toBe(200);
    const loginTokens = login.json() as { access_token: string; refresh_token: string };
    expect(
      (await inject({ method: 'POST', url: '/auth/login', payload: { email, password: 'wrong-pw-77' } }))
        .statusCode,
    ).toBe(401);
    expect(
      (await inject({ method: 'POST', url: '/auth/register', payload: { email, password } })).statusCode,
    ).toBe(409);
    const refreshed = await inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: user.refreshToken },
    });
    expect(refreshed.statusCode).toBe(200);
    const me = (await inject({ url: '/auth/me', headers: user.auth })).json() as { fhir_patient_id: string };

    // The browser's authorize start: the token in an encoded query key, an email as login_hint.
    const browserStart = await inject({
      url: `/integrations/fitbit/authorize?%74oken=${loginTokens.access_token}&login_hint=${encodeURIComponent(email)}`,
    });
    expect(browserStart.statusCode).toBe(302);

    // Connect through the sandbox, then replay the callback (refused: the state was used).
    const person = t.sandbox.people.createPerson({ days: 5, timeZone: 'Europe/Berlin', seed: 4 });
    const start = await startAuthorize(t.app, user.auth, person.id);
    const back = await consentWithForm(start.authorization_url, { action: 'allow', personId: person.id });
    await deliverCallback(t.app, back);
    const code = new URL(back).searchParams.get('code') ?? '';
    const replay = new URL(back);
    await inject({ url: `${replay.pathname}${replay.search}` });
    await inject({ url: `/integrations/fitbit/callback?code=forged-code-31f&state=forged-state-9a2` });

    // Sync: the backfill the connection started, then one on demand.
    const list = (await inject({ url: '/integrations/vendors', headers: user.auth })).json();
    const integrationId = list.integrations[0].id as string;
    await settled(t, integrationId);
    t.clock.advance(10 * 60_000);
    const sync = await inject({ method: 'POST', url: '/health/sync/immediate', headers: user.auth });
    expect(sync.statusCode, sync.body).toBe(200);
    const vendorTokens = await t.deps.vault.readTokens(t.deps.db, integrationId);

    // A FHIR write with a note, a rejected one, a search by value, an export.
    const note = 'Felt dizzy after the Wednesday swim, 4f7b';
    const value = 81.737;
    const body = singleValue(
      'body_weight',
      value,
      me.fhir_patient_id,
      dartLocal('2026-11-19T07:15:00'),
      note,
    );
    const written = await inject({
      method: 'POST',
      url: '/fhir/Observation',
      headers: user.auth,
      payload: body,
    });
    expect(written.statusCode, written.body).toBe(201);
    const rejected = await inject({
      method: 'POST',
      url: '/fhir/Observation',
      headers: user.auth,
      payload: { ...body, valueQuantity: { value: 'eighty-one point seven three seven' } },
    });
    expect(rejected.statusCode).toBe(400);
    await inject({
      url: `/fhir/Observation?patient=${me.fhir_patient_id}&value-quantity=${value}`,
      headers: user.auth,
    });
    await inject({ url: `/health/observations?type=body_weight&limit=5`, headers: user.auth });
    for (const format of ['ndjson', 'csv', 'bundle']) {
      const exported = await inject({ url: `/health/export?format=${format}`, headers: user.auth });
      expect(exported.statusCode).toBe(200);
      expect(exported.body).toContain(String(value));
    }

    const logs = t.logs.join('');
    expect(logs).toContain('request completed');
    expect(logs).toContain('/fhir/Observation');
    expect(t.deps.log.level).toBe('trace'); // whatever the app writes at trace or debug is searched too
    const forbidden: Record<string, string | undefined> = {
      'app access token': user.accessToken,
      'app refresh token': user.refreshToken,
      'login access token': loginTokens.access_token,
      'login refresh token': loginTokens.refresh_token,
      'refreshed access token': refreshed.json().access_token,
      'vendor access token': vendorTokens?.accessToken.reveal(),
      'vendor refresh token': vendorTokens?.refreshToken?.reveal(),
      password,
      'wrong password': 'wrong-pw-77',
      name,
      'authorization code': code,
      state: start.state,
      'forged code': 'forged-code-31f',
      'forged state': 'forged-state-9a2',
      note,
      'observation value': String(value),
      'rejected value': 'eighty-one point seven',
      'person id': person.id,
    };
    for (const [what, secret] of Object.entries(forbidden)) {
      expect(secret, what).toBeTruthy();
      expect(logs.includes(secret ?? ''), `${what} appears in the logs`).toBe(false);
    }
    expect(logs.match(EMAIL)?.[0], 'an email address appears in the logs').toBeUndefined();
  });
});
