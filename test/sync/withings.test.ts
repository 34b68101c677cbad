import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, testDatabaseUrl } from '../helpers/app.ts';
import { connectVendor } from '../helpers/flow.ts';
import { observations, type SyncWorld, settled, syncWorld } from '../helpers/sync-world.ts';

// Withings end to end against the sandbox's emulator: the backfill reads three services (not one
// request per type per day), stores what the person's devices measured the way Withings shows it,
// then reads only changes (`lastupdate`); a deletion arrives through its notification's window.
const SECRET = 'withings-notify-secret-0123456789abcdef';
const DAY = 86_400;
/** Fixed, so a second app on the same database (another "process") can read the vault. */
const KEYS = {
  ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  JWT_SECRET: randomBytes(32).toString('base64url'),
};

let t: SyncWorld;
beforeAll(async () => {
  t = await syncWorld({
    start: '2026-11-20T09:30:00Z',
    env: { WITHINGS_WEBHOOK_SECRET: SECRET, ...KEYS },
  });
});
afterAll(async () => {
  await t?.close();
});

async function connectWithings(person: { timeZone: string; watch?: boolean }) {
  const user = await registerUser(t.app);
  const p = t.sandbox.people.createPerson({
    days: 30,
    timeZone: person.timeZone,
    fitbit: false,
    withings: { scale: true, bpCuff: true, sleepAnalyzer: true, watch: person.watch ?? true },
  });
  await connectVendor(t.app, user.auth, 'withings', p.id);
  const list = await t.app.inject({ url: '/integrations/vendors', headers: user.auth });
  const integrationId = list.json().integrations[0].id as string;
  await settled(t, integrationId);
  return { user, personId: p.id, integrationId };
}

function syncTotals(runs: { requests: number }[]): number {
  return runs.reduce((n, r) => n + r.requests, 0);
}

async function runsOf(integrationId: string) {
  return t.deps.db
    .selectFrom('sync_run_items')
    .select(['status', 'requests', 'errors', 'created', 'updated'])
    .where('integration_id', '=', integrationId)
    .orderBy('started_at')
    .execute();
}

describe('Withings sync', () => {
  it('backfills every kept measure, day and night with one request per service', async () => {
    t.sandbox.withings.admin.resetRequestLog();
    const { user, personId, integrationId } = await connectWithings({ timeZone: 'Europe/Berlin' });
    const truth = t.sandbox.withings.groundTruth(personId);
    const from = Date.parse('2026-10-21T00:00:00+02:00') / 1000;

    const runs = await runsOf(integrationId);
    expect(runs.map((r) => r.status)).toEqual(['succeeded']);
    const log = t.sandbox.withings.admin.requestLog();
    const data = ['/measure getmeas', '/v2/measure getactivity', '/v2/sleep getsummary'];
    for (const action of data) expect(log.byAction[action], action).toBeGreaterThanOrEqual(1);
    // A 30-day backfill: the zone (getdevice) and one window per service, instead of one per type per day.
    const dataRequests = ['/v2/user getdevice', ...data].reduce((n, a) => n + (log.byAction[a] ?? 0), 0);
    expect(syncTotals(runs)).toBe(dataRequests);
    expect(dataRequests).toBeLessThanOrEqual(6);

    // Weights: every kept weigh-in (not ambiguous, not a goal), to the gram.
    const weights = truth.measures.filter((m) => m.type === 1 && m.keep && m.date >= from);
    const stored = await observations(t, user.auth, 'body_weight');
    expect(stored.map((o) => o.value).sort()).toEqual(weights.map((m) => m.value).sort());
    expect(weights.length).toBeGreaterThan(10);

    // Blood pressure: one panel per cuff reading, its pulse beside it.
    const readings = truth.measureGroups.filter(
      (g) =>
        g.category === 1 &&
        g.attrib !== 1 &&
        g.attrib !== 4 &&
        g.date >= from &&
        g.measures.some((m) => m.type === 10),
    );
    expect(await observations(t, user.auth, 'blood_pressure')).toHaveLength(readings.length);
    expect(readings.length).toBeGreaterThan(5);

    // Steps per local day from the watch; phone rows are not counted (they would double count).
    const days = truth.activities.filter((a) => a.is_tracker && a.date >= '2026-10-21');
    const steps = await observations(t, user.auth, 'steps');
    expect(Object.fromEntries(steps.map((o) => [o.date, o.value]))).toEqual(
      Object.fromEntries(days.map((a) => [a.date, a.steps])),
    );

    // Nights: one sleep per summary whose wake-up day is in the window.
    const nights = truth.sleepSummaries.filter((s) => s.date >= '2026-10-21');
    expect(await observations(t, user.auth, 'sleep')).toHaveLength(nights.length);
  });

  it('then reads only changes: an edit and a late weigh-in; a deletion comes with its notification', async () => {
    const { user, personId, integrationId } = await connectWithings({ timeZone: 'America/New_York' });
    const admin = t.sandbox.withings.admin;
    const truth = t.sandbox.withings.groundTruth(personId);
    const weighIn = truth.measures.find((m) => m.type === 1 && m.keep);
    if (!weighIn) throw new Error('no weigh-in');

    t.clock.advance(3600_000);
    const late = Math.floor(t.clock.now().getTime() / 1000) - 12 * DAY;
    await admin.addMeasureGroup(
      personId,
      { date: late, measures: [{ type: 1, value: 71234, unit: -3 }], device: 'scale' },
      { notify: false },
    );
    await admin.editMeasureGroup(
      personId,
      weighIn.grpid,
      { measures: [{ type: 1, value: 6543, unit: -2 }] },
      { notify: false },
    );
    admin.resetRequestLog();
    const res = await t.app.inject({ method: 'POST', url: '/health/sync', headers: user.auth });
    expect(res.statusCode, res.body).toBe(202);
    await settled(t, integrationId);

    const log = admin.requestLog();
    expect(log.byAction['/measure getmeas']).toBe(1);
    expect(log.byAction['/v2/measure getactivity']).toBe(1);
    expect(log.byAction['/v2/sleep getsummary']).toBe(1);
    const values = (await observations(t, user.auth, 'body_weight')).map((o) => o.value);
    expect(values).toContain(71.234);
    expect(values).toContain(65.43);
    expect(values).not.toContain(weighIn.value);

    // Deleted at Withings: nothing in `lastupdate` says so, its notification's window does.
    const before = values.length;
    await admin.deleteMeasureGroup(personId, weighIn.grpid, { notify: false });
    const form = new URLSearchParams({
      userid: String(truth.userid),
      appli: '1',
      startdate: String(weighIn.date - 60),
      enddate: String(weighIn.date + 60),
    });
    const notified = await t.app.inject({
      method: 'POST',
      url: `/webhooks/withings/${SECRET}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form.toString(),
    });
    expect(notified.statusCode).toBe(200);
    await settled(t, integrationId);
    const after = (await observations(t, user.auth, 'body_weight')).map((o) => o.value);
    expect(after).toHaveLength(before - 1);
    expect(after).not.toContain(65.43);
    const runs = await runsOf(integrationId);
    expect(runs.at(-1)?.status).toBe('succeeded');
  });

  it('works through the PHR-App routes as Fitbit does', async () => {
    const { user, personId, integrationId } = await connectWithings({ timeZone: 'Europe/London' });
    const sync = await t.app.inject({ method: 'POST', url: '/vendors/withings/sync', headers: user.auth });
    expect(sync.statusCode, sync.body).toBe(202);
    expect(sync.json()).toMatchObject({ vendor: 'withings', sync_status: expect.any(String) });
    const status = await t.app.inject({ url: '/sync/status?vendor=withings', headers: user.auth });
    expect(status.json().vendors).toEqual([expect.objectContaining({ vendor: 'withings' })]);
    await settled(t, integrationId);

    // Erasing the account revokes the grant at Withings (signed, by user id).
    const erased = await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: user.auth });
    expect(erased.statusCode, erased.body).toBe(204);
    const grants = t.sandbox.withings.admin.requestLog().grants.filter((g) => g.personId === personId);
    expect(grants.map((g) => g.revoked)).toEqual([true]);
  });

  it('answers Withings at once and does no work for wrong secrets, unknown users or malformed bodies', async () => {
    const post = (url: string, payload: string) =>
      t.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload,
      });
    expect((await t.app.inject({ method: 'HEAD', url: `/webhooks/withings/${SECRET}` })).statusCode).toBe(
      200,
    );
    expect((await t.app.inject({ method: 'HEAD', url: '/webhooks/withings/nope' })).statusCode).toBe(404);
    expect((await post('/webhooks/withings/nope', 'userid=1&appli=1&startdate=1&enddate=2')).statusCode).toBe(
      404,
    );
    const before = await t.deps.db
      .selectFrom('sync_run_items')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    for (const body of [
      'userid=999999&appli=1&startdate=1763600000&enddate=1763610000',
      'appli=1',
      'userid=abc&appli=x',
      '%%%',
    ]) {
      expect((await post(`/webhooks/withings/${SECRET}`, body)).statusCode, body).toBe(200);
    }
    const after = await t.deps.db
      .selectFrom('sync_run_items')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    expect(Number(after?.n)).toBe(Number(before?.n));
    // The secret never reaches the logs.
    expect(t.logs.join('')).not.toContain(SECRET);
  });
});

describe.skipIf(!testDatabaseUrl)('Withings refresh rotation across processes', () => {
  it('two app processes refreshing at once send one refresh; both get the new token; the connection lives', async () => {
    const { integrationId, personId } = await connectWithings({ timeZone: 'Europe/Paris' });
    const refreshes = () =>
      t.sandbox.withings.admin
        .requestLog()
        .grants.filter((g) => g.personId === personId)
        .reduce((n, g) => n + g.tokenRequests.refresh_token, 0);
    const other = await createTestApp({
      clock: t.clock,
      env: { ...t.sandbox.env, WITHINGS_WEBHOOK_SECRET: SECRET, ...KEYS },
      sharedSchema: t.schema,
    });
    try {
      const before = refreshes();
      t.clock.advance(4 * 3600_000); // past the 3 h access token
      const [a, b] = await Promise.all([
        t.deps.accessTokens.getAccessToken(integrationId),
        other.deps.accessTokens.getAccessToken(integrationId),
      ]);
      expect(a.accessToken.reveal()).toBe(b.accessToken.reveal());
      expect(refreshes()).toBe(before + 1);
      // The rotation did not cost the connection.
      const status = await t.deps.db
        .selectFrom('integrations')
        .select('status')
        .where('id', '=', integrationId)
        .executeTakeFirstOrThrow();
      expect(status.status).toBe('connected');
    } finally {
      await other.close();
    }
  });
});
