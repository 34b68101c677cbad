// Withings errors and limits: the envelope on HTTP 200, 2554 for an unknown action, the app-wide
// 120/min limiter (601), injected faults (601, 522, 2555, an HTML 502), and the request log.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.ts';
import type { FakeClock } from '../helpers/clock.ts';
import {
  call,
  connectWithings,
  rawCall,
  refresh,
  startWithingsSandbox,
  W_CLIENT,
} from './withings-helpers.ts';

let sandbox: Sandbox;
let clock: FakeClock;
let alice: string;
let bob: string;

beforeEach(async () => {
  ({ sandbox, clock } = await startWithingsSandbox({ withings: { rateLimitPerMinute: 6 } }));
  alice = sandbox.people.createPerson({ seed: 31 }).id;
  bob = sandbox.people.createPerson({ seed: 32 }).id;
});
afterEach(() => sandbox.close());

const goals = (token: string) => call(sandbox, '/v2/user', { action: 'getgoals' }, token);

describe('envelope', () => {
  it('answers every API error on HTTP 200 with status, body {} and error', async () => {
    const { accessToken } = await connectWithings(sandbox, alice);
    const unknown = await rawCall(sandbox, '/measure', { action: 'getmeasures' }, accessToken);
    expect(unknown.httpStatus).toBe(200);
    expect(unknown.contentType).toContain('application/json');
    expect(JSON.parse(unknown.text)).toEqual({
      status: 2554,
      body: {},
      error: "Not implemented: unknown action 'getmeasures' for '/measure'",
    });
    const noAction = await call(sandbox, '/v2/sleep', {}, accessToken);
    expect(noAction.status).toBe(2554);
    const bad = await rawCall(sandbox, '/measure', { action: 'getmeas', meastypes: 'abc' }, accessToken);
    expect(bad.httpStatus).toBe(200);
    expect(JSON.parse(bad.text)).toEqual({
      status: 503,
      body: {},
      error: 'Invalid Params: invalid meastypes',
    });
  });
});

describe('rate limit', () => {
  it('counts all users of the application in a rolling 60 s window, then answers 601', async () => {
    const a = await connectWithings(sandbox, alice);
    const b = await connectWithings(sandbox, bob);
    sandbox.withings.admin.setRateLimit(6);
    for (let i = 0; i < 3; i++) {
      expect((await goals(a.accessToken)).status).toBe(0);
      clock.advance(5_000);
      expect((await goals(b.accessToken)).status).toBe(0);
      clock.advance(5_000);
    }
    expect(await goals(b.accessToken)).toEqual({ status: 601, body: {}, error: 'Too Many Requests' });
    // The token endpoint is part of the application's budget too.
    expect((await refresh(sandbox, a.refreshToken)).status).toBe(601);
    // Rolling: the first call (t=0) leaves the window at t=60 s.
    clock.advance(30_000);
    expect((await goals(a.accessToken)).status).toBe(0);
    expect((await goals(a.accessToken)).status).toBe(601);
    expect(sandbox.withings.admin.requestLog().byStatus['601']).toBe(3);
  });
});

describe('faults', () => {
  it('answers the next N calls of an action with the injected status, then recovers', async () => {
    const { accessToken } = await connectWithings(sandbox, alice);
    sandbox.withings.admin.fault([
      { status: 522, action: 'getmeas', count: 2 },
      { status: 2555, service: '/v2/sleep' },
      { status: 601, body: { wait_seconds: 30 }, personId: alice, action: 'getgoals' },
    ]);
    const getmeas = () => call(sandbox, '/measure', { action: 'getmeas', meastype: '1' }, accessToken);
    expect(await goals(accessToken)).toEqual({
      status: 601,
      body: { wait_seconds: 30 },
      error: 'Too Many Requests',
    });
    expect(await getmeas()).toEqual({ status: 522, body: {}, error: 'A timeout occurred' });
    expect((await getmeas()).status).toBe(522);
    expect((await getmeas()).status).toBe(0);
    const sleep = await call(sandbox, '/v2/sleep', { action: 'getsummary', lastupdate: '0' }, accessToken);
    expect(sleep).toEqual({ status: 2555, body: {}, error: 'An unknown error occurred' });
    expect(sandbox.withings.admin.faults()).toEqual([]);
  });

  it('can answer with a non-JSON HTML 502 page, on the token endpoint too', async () => {
    const { accessToken, refreshToken } = await connectWithings(sandbox, alice);
    sandbox.withings.admin.fault({ httpStatus: 502, count: 2 });
    const page = await rawCall(sandbox, '/v2/user', { action: 'getdevice' }, accessToken);
    expect(page.httpStatus).toBe(502);
    expect(page.contentType).toContain('text/html');
    expect(() => JSON.parse(page.text)).toThrow();
    expect((await rawCall(sandbox, '/v2/oauth2', { action: 'requesttoken' })).httpStatus).toBe(502);
    expect((await refresh(sandbox, refreshToken)).status).toBe(0);
  });

  it('can hold a call open until released (the client must time out), then answer a 504 page', async () => {
    const { accessToken } = await connectWithings(sandbox, alice);
    sandbox.withings.admin.fault({ timeout: true, action: 'getdevice' });
    const pending = rawCall(sandbox, '/v2/user', { action: 'getdevice' }, accessToken);
    for (let i = 0; i < 50 && sandbox.admin.hangingRequests() === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(sandbox.admin.hangingRequests()).toBe(1);
    expect(sandbox.admin.releaseHanging()).toBe(1);
    const answer = await pending;
    expect(answer.httpStatus).toBe(504);
    expect(answer.contentType).toContain('text/html');
  });

  it('is reachable over the admin HTTP API', async () => {
    const { accessToken } = await connectWithings(sandbox, alice);
    const injected = await fetch(`${sandbox.url}/_admin/withings/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 522, action: 'getgoals' }),
    });
    expect(injected.status).toBe(200);
    expect((await goals(accessToken)).status).toBe(522);
    const log = (await (await fetch(`${sandbox.url}/_admin/withings/requests`)).json()) as {
      byAction: Record<string, number>;
    };
    expect(log.byAction['/v2/user getgoals']).toBe(1);
  });
});

describe('request log', () => {
  it('counts calls per action, per person and per access token', async () => {
    const a = await connectWithings(sandbox, alice);
    const b = await connectWithings(sandbox, bob);
    sandbox.withings.admin.resetRequestLog();
    await goals(a.accessToken);
    await goals(a.accessToken);
    clock.advance(60_000);
    await call(sandbox, '/measure', { action: 'getmeas' }, b.accessToken);
    await goals('unknown-token');
    const log = sandbox.withings.admin.requestLog();
    expect(log.total).toBe(4);
    expect(log.byAction).toEqual({ '/v2/user getgoals': 3, '/measure getmeas': 1 });
    expect(log.byUser).toEqual({ [alice]: { '/v2/user getgoals': 2 }, [bob]: { '/measure getmeas': 1 } });
    expect(log.byToken[a.accessToken]).toEqual({ '/v2/user getgoals': 2 });
    expect(log.byToken['unknown-token']).toEqual({ '/v2/user getgoals': 1 });
    expect(log.byStatus).toEqual({ '0': 3, '401': 1 });
    expect(log.grants.map((g) => [g.personId, g.clientId, g.tokenRequests.authorization_code])).toEqual([
      [alice, W_CLIENT.clientId, 1],
      [bob, W_CLIENT.clientId, 1],
    ]);
  });
});
