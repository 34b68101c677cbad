import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type SandboxTestApp, withSandbox } from '../helpers/app.ts';
import { connectFitbit } from '../helpers/flow.ts';

// The OAuth callback is public (the vendor's redirect carries no bearer token), so the route
// hook cannot say whose grant it was; the connect flow records it for the user the state names.
let t: SandboxTestApp;
beforeAll(async () => {
  t = await withSandbox();
});
afterAll(async () => t?.close());

describe('audit of a vendor grant', () => {
  it('records the completed connect for the user who asked, and nothing for another user', async () => {
    const a = await registerUser(t.app);
    const b = await registerUser(t.app);
    const person = t.sandbox.people.createPerson();
    await connectFitbit(t.app, a.auth, person.id);
    const list = await t.app.inject({ url: '/integrations/vendors', headers: a.auth });
    const integrationId = list.json().integrations[0].id as string;

    const events = async (auth: { authorization: string }) =>
      (await t.app.inject({ url: '/auth/me/audit', headers: auth })).json().items as {
        action: string;
        resource_ids: string[];
      }[];
    const mine = await events(a.auth);
    expect(mine.filter((e) => e.action === 'integration.callback').map((e) => e.resource_ids)).toEqual([
      [integrationId],
    ]);
    expect((await events(b.auth)).some((e) => e.action === 'integration.callback')).toBe(false);
  });
});
