import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILING_AFTER } from '../../src/notices/notices.service.ts';
import { registerUser } from '../helpers/app.ts';
import { connectFitbit } from '../helpers/flow.ts';
import { connectPerson, immediate, type SyncWorld, settled, syncWorld } from '../helpers/sync-world.ts';

// Notices (docs/events.md §Notices): raised with the event that causes them, resolved when the
// connection works again, listed by GET /notices and carried by the PHR-App's GET /sync/status.
let t: SyncWorld;
beforeAll(async () => {
  // Short waits between job attempts, so a run that gives up does so within seconds.
  t = await syncWorld({
    start: '2026-11-20T12:00:00Z',
    tuning: { retryBackoff: { baseMs: 20, maxMs: 100 } },
  });
});
afterAll(async () => t?.close());

interface Notice {
  id: string;
  kind: string;
  vendor: string;
  integration_id: string;
  code: string;
  message: string;
  created_at: string;
}

async function notices(auth: { authorization: string }): Promise<Notice[]> {
  const res = await t.app.inject({ url: '/notices', headers: auth });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { notices: Notice[] }).notices;
}

async function appMessage(auth: { authorization: string }): Promise<string> {
  const res = await t.app.inject({ url: '/sync/status', headers: auth });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().vendors[0].message as string;
}

const dismiss = (auth: { authorization: string }, id: string) =>
  t.app.inject({ method: 'POST', url: `/notices/${id}/dismiss`, headers: auth });

async function failingRun(c: { user: { auth: { authorization: string } }; personId: string }) {
  t.clock.advance(60_000);
  t.sandbox.admin.injectFaults({
    status: 503,
    count: 1_000_000,
    personId: c.personId,
    pathContains: '/dataTypes/',
  });
  try {
    expect((await immediate(t, c.user.auth)).status).toBe('failed');
  } finally {
    t.sandbox.admin.clearFaults();
  }
}

describe('notices', () => {
  it('a revoked grant raises one needs_reauth notice, shown by /sync/status; reconnecting resolves it', async () => {
    const c = await connectPerson(t, { timeZone: 'UTC', seed: 61 });
    await settled(t, c.integrationId);
    expect(await notices(c.user.auth)).toEqual([]);

    await t.sandbox.admin.revokeGrant(c.personId, { notify: false });
    expect((await immediate(t, c.user.auth)).status).toBe('failed');
    t.clock.advance(60_000);
    await immediate(t, c.user.auth); // fails again: no second notice
    const open = await notices(c.user.auth);
    expect(open).toEqual([
      {
        id: expect.any(String),
        kind: 'integration.needs_reauth',
        vendor: 'fitbit',
        integration_id: c.integrationId,
        code: 'invalid_grant', // the event's reason: the refresh was refused
        message: 'Fitbit access was revoked or expired: connect again',
        created_at: expect.any(String),
      },
    ]);
    expect(await appMessage(c.user.auth)).toBe(open[0]!.message);
    // Failed runs of an integration that needs reauthorization raise no `sync.failing` beside it.
    for (let i = 0; i < FAILING_AFTER; i += 1) {
      t.clock.advance(60_000);
      await immediate(t, c.user.auth);
    }
    expect((await notices(c.user.auth)).map((n) => n.kind)).toEqual(['integration.needs_reauth']);

    await connectFitbit(t.app, c.user.auth, c.personId);
    await settled(t, c.integrationId);
    expect(await notices(c.user.auth)).toEqual([]);
    expect(await appMessage(c.user.auth)).not.toBe(open[0]!.message);
    const rows = await t.deps.db.selectFrom('notices').selectAll().where('user_id', '=', c.user.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.resolved_at).not.toBeNull();
  });

  it(`${FAILING_AFTER} failed syncs in a row raise sync.failing; dismissal hides it; a successful sync resolves it`, async () => {
    const c = await connectPerson(t, { timeZone: 'Europe/Berlin', seed: 62 });
    await settled(t, c.integrationId);
    for (let i = 0; i < FAILING_AFTER - 1; i += 1) await failingRun(c);
    expect(await notices(c.user.auth)).toEqual([]); // not yet: the backfill succeeded
    await failingRun(c);
    const open = await notices(c.user.auth);
    expect(open).toMatchObject([
      {
        kind: 'sync.failing',
        vendor: 'fitbit',
        integration_id: c.integrationId,
        code: 'VENDOR_UNAVAILABLE',
        message: expect.stringMatching(
          new RegExp(`^The last ${FAILING_AFTER} syncs of Fitbit failed: HTTP 503`),
        ),
      },
    ]);
    expect(await appMessage(c.user.auth)).toBe(open[0]!.message);
    await failingRun(c); // still failing: still one notice
    expect(await notices(c.user.auth)).toHaveLength(1);
    // Dismissed, it stays hidden while the syncs keep failing (not raised again until resolved).
    expect((await dismiss(c.user.auth, open[0]!.id)).statusCode).toBe(204);
    await failingRun(c);
    expect(await notices(c.user.auth)).toEqual([]);
    expect(await appMessage(c.user.auth)).not.toBe(open[0]!.message);

    t.clock.advance(60_000);
    expect((await immediate(t, c.user.auth)).status).toBe('succeeded');
    expect(await appMessage(c.user.auth)).toMatch(/^Sync complete/);
    const rows = await t.deps.db
      .selectFrom('notices')
      .select(['id', 'resolved_at'])
      .where('integration_id', '=', c.integrationId)
      .execute();
    expect(rows).toEqual([{ id: open[0]!.id, resolved_at: expect.any(Date) }]);
    // Failing again after that raises a new notice.
    for (let i = 0; i < FAILING_AFTER; i += 1) await failingRun(c);
    const again = await notices(c.user.auth);
    expect(again).toMatchObject([{ kind: 'sync.failing' }]);
    expect(again[0]!.id).not.toBe(open[0]!.id);
  }, 120_000);

  it('dismiss hides a notice (and it is not raised again until resolved); another person’s is not found', async () => {
    const c = await connectPerson(t, { timeZone: 'UTC', seed: 63 });
    await settled(t, c.integrationId);
    await t.sandbox.admin.revokeGrant(c.personId, { notify: false });
    await immediate(t, c.user.auth);
    const [notice] = await notices(c.user.auth);
    expect(notice).toBeDefined();

    const other = await registerUser(t.app);
    expect((await dismiss(other.auth, notice!.id)).statusCode).toBe(404);
    expect((await dismiss(c.user.auth, '00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect((await dismiss(c.user.auth, 'not-a-uuid')).statusCode).toBe(400);
    expect(await notices(c.user.auth)).toHaveLength(1);
    expect(await notices(other.auth)).toEqual([]);

    const res = await dismiss(c.user.auth, notice!.id);
    expect(res.statusCode).toBe(204);
    expect(await notices(c.user.auth)).toEqual([]);
    expect(await appMessage(c.user.auth)).not.toBe(notice!.message);
    expect((await dismiss(c.user.auth, notice!.id)).statusCode).toBe(204); // again: still dismissed

    const audit = await t.app.inject({ url: '/auth/me/audit', headers: c.user.auth });
    const actions = (audit.json() as { items: { action: string }[] }).items.map((e) => e.action);
    expect(actions).toContain('notices.list');
    expect(actions).toContain('notices.dismiss');
  });

  it('needs a bearer token', async () => {
    expect((await t.app.inject({ url: '/notices' })).statusCode).toBe(401);
    const res = await t.app.inject({
      method: 'POST',
      url: '/notices/00000000-0000-4000-8000-000000000000/dismiss',
    });
    expect(res.statusCode).toBe(401);
  });
});
