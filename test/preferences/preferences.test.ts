/** Display units and daily goals on the account: defaults, partial changes, validation, per owner, erasure. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const URL = '/account/preferences';

describe('preferences', () => {
  it('starts from the metric defaults', async () => {
    const u = await registerUser(t.app);
    const res = await t.app.inject({ url: URL, headers: u.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      units: { distance: 'km', weight: 'kg', temperature: 'C' },
      goals: { steps: 10000, energy: 2500, sleep: 480 },
      updated_at: null,
    });
  });

  it('changes what is named and keeps the rest; a system sets all units, a named unit wins', async () => {
    const u = await registerUser(t.app);
    const first = await t.app.inject({
      method: 'PATCH',
      url: URL,
      headers: u.auth,
      payload: { units: { system: 'imperial', temperature: 'C' } },
    });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().units).toEqual({ distance: 'mi', weight: 'lb', temperature: 'C' });
    expect(first.json().updated_at).toEqual(expect.any(String));
    await t.app.inject({ method: 'PATCH', url: URL, headers: u.auth, payload: { goals: { steps: 8000 } } });
    const read = (await t.app.inject({ url: URL, headers: u.auth })).json();
    expect(read.units).toEqual({ distance: 'mi', weight: 'lb', temperature: 'C' });
    expect(read.goals).toEqual({ steps: 8000, energy: 2500, sleep: 480 });
  });

  it('names the field that is not valid (400), never 500', async () => {
    const u = await registerUser(t.app);
    for (const [payload, field] of [
      [{ units: { distance: 'furlong' } }, 'distance'],
      [{ goals: { steps: -5 } }, 'steps'],
      [{ goals: { sleep: 'long' } }, 'sleep'],
      [{ colour: 'blue' }, 'colour'],
    ] as const) {
      const res = await t.app.inject({ method: 'PATCH', url: URL, headers: u.auth, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toContain(field);
    }
  });

  it('belongs to its account only, and needs a token', async () => {
    const a = await registerUser(t.app);
    const b = await registerUser(t.app);
    await t.app.inject({
      method: 'PATCH',
      url: URL,
      headers: a.auth,
      payload: { units: { system: 'imperial' } },
    });
    expect((await t.app.inject({ url: URL, headers: b.auth })).json().units.distance).toBe('km');
    expect((await t.app.inject({ url: URL })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'PATCH', url: URL, payload: {} })).statusCode).toBe(401);
  });

  it('goes with the account when it is erased', async () => {
    const u = await registerUser(t.app);
    await t.app.inject({ method: 'PATCH', url: URL, headers: u.auth, payload: { goals: { steps: 7000 } } });
    expect((await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: u.auth })).statusCode).toBe(204);
    const left = await t.deps.db
      .selectFrom('user_preferences')
      .select('user_id')
      .where('user_id', '=', u.id)
      .execute();
    expect(left).toEqual([]);
  });
});
