import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_ATTEMPTS } from '../../src/sync/sync.jobs.ts';
import { registerUser } from '../helpers/app.ts';
import { consentWithForm, deliverCallback, startAuthorize } from '../helpers/flow.ts';
import {
  byDate,
  connectPerson,
  immediate,
  observations,
  type SyncWorld,
  settled,
  syncWorld,
} from '../helpers/sync-world.ts';

// What the vendor or the network does to a sync, and what the user sees afterwards.
let t: SyncWorld;
beforeAll(async () => {
  // Short waits between job attempts, so a run that gives up does so within seconds.
  t = await syncWorld({
    start: '2026-11-20T12:00:00Z',
    tuning: { retryBackoff: { baseMs: 20, maxMs: 100 } },
  });
});
afterAll(async () => t?.close());

async function jobRuns(outcome: string): Promise<number> {
  const text = await t.deps.metrics.registry.getSingleMetricAsString('jobs_runs_total');
  const line = text
    .split('\n')
    .find((l) => l.includes('job="sync.integration"') && l.includes(`outcome="${outcome}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function status(auth: { authorization: string }) {
  const res = await t.app.inject({ url: '/integrations/fitbit/status', headers: auth });
  return res.json() as { status: string; last_sync_status: string | null; next_sync_at: string | null };
}

describe('rate limits', () => {
  it('a 429 storm during the backfill delays the job without spending attempts and loses nothing', async () => {
    const retriesBefore = await jobRuns('retry');
    const delayedBefore = await jobRuns('delayed');
    const person = t.sandbox.people.createPerson({ timeZone: 'Europe/Berlin', days: 30, seed: 21 });
    // Data calls only: the identity lookup during the callback is not part of the sync.
    t.sandbox.admin.injectFaults({
      status: 429,
      count: 14,
      personId: person.id,
      pathContains: '/dataTypes/',
    });
    const user = await registerUser(t.app);
    const start = await startAuthorize(t.app, user.auth, person.id);
    await deliverCallback(
      t.app,
      await consentWithForm(start.authorization_url, { action: 'allow', personId: person.id }),
    );
    const list = await t.app.inject({ url: '/integrations/vendors', headers: user.auth });
    await settled(t, list.json().integrations[0].id as string);

    expect(await jobRuns('delayed')).toBeGreaterThan(delayedBefore);
    expect(await jobRuns('retry')).toBe(retriesBefore);
    expect((await status(user.auth)).last_sync_status).toBe('succeeded');
    const truth = t.sandbox.groundTruth(person.id);
    const steps = byDate(await observations(t, user.auth, 'steps'));
    for (const date of truth.dates) expect(steps.get(date)?.value, date).toBe(truth.days[date]?.steps);
    const samples = (await observations(t, user.auth, 'heart_rate')).flatMap((h) => h.samples ?? []);
    const want = truth.dates.reduce((n, d) => n + (truth.days[d]?.['heart-rate']?.count ?? 0), 0);
    const today = samples.filter((s) => !truth.dates.includes(s.time.slice(0, 10))).length;
    expect(samples.length - today).toBe(want);
  });
}, 120_000);

describe('grants and accounts', () => {
  it('a revoked grant ends the sync as failed and the integration needs reauthorization', async () => {
    const c = await connectPerson(t, { timeZone: 'Asia/Kolkata', seed: 22 });
    await settled(t, c.integrationId);
    await t.sandbox.admin.revokeGrant(c.personId, { notify: false });
    const result = await immediate(t, c.user.auth);
    expect(result.status).toBe('failed');
    expect(result.integrations[0]?.errors.map((e) => e.code)).toEqual(['VENDOR_AUTH_REVOKED']);
    expect((await status(c.user.auth)).status).toBe('needs_reauth');
    // Later syncs do not call the vendor again.
    t.sandbox.admin.resetRequestLog();
    const again = await immediate(t, c.user.auth);
    expect(again.integrations[0]?.status).toBe('failed');
    expect(t.sandbox.admin.requestLog().total).toBe(0);
  });

  it('ACCOUNT_NOT_LINKED is reported and stops the sync until the user acts', async () => {
    const c = await connectPerson(t, { timeZone: 'UTC', seed: 23 });
    await settled(t, c.integrationId);
    t.sandbox.admin.markNotLinked(c.personId, true);
    const result = await immediate(t, c.user.auth);
    expect(result.integrations[0]?.errors.map((e) => e.code)).toEqual(['ACCOUNT_NOT_LINKED']);
    expect((await status(c.user.auth)).status).toBe('needs_reauth');
  });

  it('a refused scope skips its types, reports them, and the run is partial', async () => {
    const user = await registerUser(t.app);
    const person = t.sandbox.people.createPerson({ timeZone: 'Europe/Berlin', days: 30, seed: 24 });
    const start = await startAuthorize(t.app, user.auth, person.id);
    const back = await consentWithForm(start.authorization_url, {
      action: 'allow',
      personId: person.id,
      scopes: (all) => all.filter((s) => !s.includes('sleep')),
    });
    await deliverCallback(t.app, back);
    const list = await t.app.inject({ url: '/integrations/vendors', headers: user.auth });
    await settled(t, list.json().integrations[0].id as string);
    const result = await immediate(t, user.auth);
    expect(result.status).toBe('partial');
    expect(result.integrations[0]?.errors).toEqual([
      { code: 'SCOPE_NOT_GRANTED', message: 'sleep: the user did not grant its scope' },
    ]);
    expect(await observations(t, user.auth, 'sleep')).toEqual([]);
    const truth = t.sandbox.groundTruth(person.id);
    const steps = byDate(await observations(t, user.auth, 'steps'));
    for (const date of truth.dates) expect(steps.get(date)?.value, date).toBe(truth.days[date]?.steps);
  });
}, 120_000);

describe('results', () => {
  it('a sync result is its owner’s only', async () => {
    const c = await connectPerson(t, { timeZone: 'UTC', seed: 25 });
    await settled(t, c.integrationId);
    const queued = await t.app.inject({ method: 'POST', url: '/health/sync', headers: c.user.auth });
    expect(queued.statusCode).toBe(202);
    const { sync_id, status: s } = queued.json() as { sync_id: string; status: string };
    expect(s).toBe('queued');
    const other = await registerUser(t.app);
    const theirs = await t.app.inject({ url: `/health/sync/${sync_id}`, headers: other.auth });
    expect(theirs.statusCode).toBe(404);
    expect((await t.app.inject({ url: '/health/sync/not-a-uuid', headers: c.user.auth })).statusCode).toBe(
      404,
    );
    await settled(t, c.integrationId);
    const mine = await t.app.inject({ url: `/health/sync/${sync_id}`, headers: c.user.auth });
    expect(mine.json()).toMatchObject({ sync_id, status: 'succeeded', integrations: [{ vendor: 'fitbit' }] });
    const st = await status(c.user.auth);
    expect(st.last_sync_status).toBe('succeeded');
    expect(Date.parse(st.next_sync_at ?? '')).toBe(Date.parse('2026-11-20T13:00:00Z'));
  });
}, 120_000);

describe('outages', () => {
  // Last in the file: it moves the clock past the next scheduled sync.
  it('a Health API that keeps answering 503 fails the run as VENDOR_UNAVAILABLE after bounded retries; the next scheduled sync still runs', async () => {
    const c = await connectPerson(t, { timeZone: 'Europe/Berlin', seed: 26 });
    await settled(t, c.integrationId);
    t.clock.advance(60_000); // the run below is the latest one /sync/status reports
    t.sandbox.admin.resetRequestLog();
    t.sandbox.admin.injectFaults({
      status: 503,
      count: 1_000_000,
      personId: c.personId,
      pathContains: '/dataTypes/',
    });
    let syncId: string;
    try {
      const result = await immediate(t, c.user.auth);
      syncId = result.sync_id;
      expect(result.status).toBe('failed');
      expect(result.integrations[0]?.errors).toEqual([
        {
          code: 'VENDOR_UNAVAILABLE',
          message: expect.stringMatching(
            new RegExp(`^HTTP 503.*\\(gave up after ${SYNC_ATTEMPTS} attempts\\)$`),
          ),
        },
      ]);
      // Bounded: each attempt's request is retried by the outbound wrapper (3 times), no more.
      const calls = Object.entries(t.sandbox.admin.requestLog().byUser[c.personId] ?? {})
        .filter(([endpoint]) => endpoint.includes('/dataTypes/'))
        .reduce((n, [, count]) => n + count, 0);
      expect(calls).toBeGreaterThanOrEqual(SYNC_ATTEMPTS);
      expect(calls).toBeLessThanOrEqual(SYNC_ATTEMPTS * 4);
    } finally {
      t.sandbox.admin.clearFaults();
    }

    const byId = await t.app.inject({ url: `/health/sync/${syncId}`, headers: c.user.auth });
    expect(byId.json()).toMatchObject({
      status: 'failed',
      integrations: [{ status: 'failed', errors: [{ code: 'VENDOR_UNAVAILABLE' }] }],
    });
    const app = await t.app.inject({ url: '/sync/status', headers: c.user.auth });
    expect(app.json().vendors[0]).toMatchObject({
      last_job_status: 'failed',
      last_job_error_code: 'VENDOR_UNAVAILABLE',
      connected: true,
    });
    const st = await status(c.user.auth);
    expect(st).toMatchObject({ status: 'connected', last_sync_status: 'failed' });
    const next = Date.parse(st.next_sync_at ?? '');
    expect(next).toBe(t.clock.now().getTime() + 60 * 60_000);

    // The vendor is back by the next scheduled sync: it runs and succeeds.
    t.clock.set(next + 1000);
    expect(await t.deps.sync.service.enqueueDue()).toBeGreaterThanOrEqual(1);
    await settled(t, c.integrationId);
    expect((await status(c.user.auth)).last_sync_status).toBe('succeeded');
  });
}, 120_000);
