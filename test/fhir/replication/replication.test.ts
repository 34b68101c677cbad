import type { Observation } from '@medplum/fhirtypes';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OBSERVATION_IDENTIFIER_SYSTEM } from '../../../src/fhir/codes.ts';
import { createReplication, type Replication } from '../../../src/fhir/replication/replication.ts';
import { enqueueChanges, outboxStats } from '../../../src/fhir/store/replication-outbox.repository.ts';
import { createTestApp, registerUser, type TestApp } from '../../helpers/app.ts';
import { makeObservation, patientIdOf } from '../store/seed.ts';
import { type MedplumServer, startMedplumServer } from './medplum-server.ts';

// NOTE: the reference server (Medplum 5.2 MemoryRepository) cannot match an identifier value that
// contains '|', escaped or not, so these tests use ':'-separated values (see seed.ts).

let server: MedplumServer;
let t: TestApp;
let replication: Replication;

beforeAll(async () => {
  server = await startMedplumServer();
  t = await createTestApp({ env: { FHIR_SERVER_URL: server.url } });
  // The app's own poller is tested last; the others drive pushes by hand, with short backoff.
  await t.deps.fhir.replication!.stop();
  replication = createReplication({
    db: t.deps.db,
    fetch: globalThis.fetch,
    clock: t.deps.clock,
    log: t.deps.log,
    metrics: { ...t.deps.metrics, registry: new (await import('prom-client')).Registry() },
    serverUrl: server.url,
    push: { backoff: { baseMs: 1, maxMs: 20 }, timeoutMs: 5_000 },
  });
}, 120_000);
afterAll(async () => {
  await t?.close();
  await server?.close();
});

async function user() {
  const u = await registerUser(t.app);
  return { ...u, patientId: await patientIdOf(t.app, u.auth), principal: { userId: u.id } };
}

async function remoteByIdentifier(o: Observation) {
  const id = o.identifier![0]!;
  const bundle = await server.search(
    `Observation?identifier=${encodeURIComponent(`${id.system}|${id.value}`)}`,
  );
  return (bundle.entry ?? []).map((e) => e.resource as Observation);
}

async function drainUntilEmpty(): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    await replication.drain();
    if ((await outboxStats(t.deps.db, new Date())).pending === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('outbox did not drain');
}

describe('replication to an external FHIR server', () => {
  it('pushes new resources once, and nothing for an unchanged re-upsert', async () => {
    const u = await user();
    const obs = [1, 2, 3].map((i) =>
      makeObservation(u.patientId, { key: `hr-${i}`, effectiveDateTime: `2024-01-0${i}T08:00:00Z` }),
    );
    await t.deps.fhir.store.upsertResources(u.principal, obs);
    expect((await outboxStats(t.deps.db, new Date())).pending).toBe(4); // 3 + the Patient
    await drainUntilEmpty();
    for (const o of obs) expect(await remoteByIdentifier(o)).toHaveLength(1);
    const patient = await server.search(`Patient?_id=${u.patientId}`);
    expect(patient.entry).toHaveLength(1);

    await t.deps.fhir.store.upsertResources(u.principal, obs);
    expect((await outboxStats(t.deps.db, new Date())).pending).toBe(0);
  });

  it('loses nothing while the server is down and delivers when it returns', async () => {
    const u = await user();
    const obs = makeObservation(u.patientId, {
      key: 'steps',
      type: 'steps',
      effectiveDateTime: '2024-02-01',
      value: 1000,
    });
    await t.deps.fhir.store.upsertResources(u.principal, [obs]);
    await server.stop();
    const failed = await replication.push();
    expect(failed.failed).toBeGreaterThan(0);
    const check = (await replication.readiness.check()).detail ?? {};
    expect(check.pending).toBeGreaterThanOrEqual(2);
    expect(check.failing).toBeGreaterThanOrEqual(2);
    expect(String(check.last_error)).toContain('unreachable');
    // The public answer names the component only; the error stays in the log.
    expect((await t.app.inject({ url: '/readyz' })).body).not.toContain('unreachable');
    const metrics = await t.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/fhir_outbox_pending [1-9]/);

    await server.start();
    await drainUntilEmpty();
    expect(await remoteByIdentifier(obs)).toHaveLength(1);
  });

  it('re-sending the same changes creates no duplicates; an updated daily total replaces the old value', async () => {
    const u = await user();
    const obs = makeObservation(u.patientId, {
      key: 'steps-day',
      type: 'steps',
      effectiveDateTime: '2024-03-01',
      value: 500,
    });
    await t.deps.fhir.store.upsertResources(u.principal, [obs]);
    await drainUntilEmpty();
    // As if the process died after the server accepted but before the outbox row was deleted.
    const key = {
      resource_type: 'Observation',
      id: obs.id!,
      identifier: `${OBSERVATION_IDENTIFIER_SYSTEM}|${obs.identifier![0]!.value}`,
    };
    await enqueueChanges(t.deps.db, u.id, [key], 'put', new Date());
    await drainUntilEmpty();
    expect(await remoteByIdentifier(obs)).toHaveLength(1);

    const later = { ...obs, valueQuantity: { ...obs.valueQuantity!, value: 8421 } };
    expect(await t.deps.fhir.store.upsertResources(u.principal, [later])).toMatchObject({ updated: 1 });
    await drainUntilEmpty();
    const remote = await remoteByIdentifier(obs);
    expect(remote).toHaveLength(1);
    expect(remote[0]!.valueQuantity?.value).toBe(8421);
  });

  it('mirrors deletions, including a whole-account erasure', async () => {
    const u = await user();
    const obs = [1, 2].map((i) =>
      makeObservation(u.patientId, { key: `w-${i}`, effectiveDateTime: `2024-04-0${i}T08:00:00Z` }),
    );
    await t.deps.fhir.store.upsertResources(u.principal, obs);
    await drainUntilEmpty();
    expect(await t.deps.fhir.store.deleteResource(u.principal, 'Observation', obs[0]!.id!)).toBe(true);
    await drainUntilEmpty();
    expect(await remoteByIdentifier(obs[0]!)).toHaveLength(0);
    expect(await remoteByIdentifier(obs[1]!)).toHaveLength(1);

    await t.deps.fhir.store.eraseUser(u.principal);
    await drainUntilEmpty();
    expect(await remoteByIdentifier(obs[1]!)).toHaveLength(0);
    expect((await server.search(`Patient?_id=${u.patientId}`)).entry ?? []).toHaveLength(0);
  });

  it('a change the server refuses (4xx) becomes a dead letter: counted in /metrics, /readyz stays ready, an operator requeues it', async () => {
    const u = await user();
    const good = makeObservation(u.patientId, { key: 'dl-ok', effectiveDateTime: '2024-06-01T08:00:00Z' });
    const bad = makeObservation(u.patientId, { key: 'dl-bad', effectiveDateTime: '2024-06-02T08:00:00Z' });
    await t.deps.fhir.store.upsertResources(u.principal, [good, bad]);
    // The refused change has been waiting for two hours, longer than the readiness lag limit.
    await sql`update fhir_outbox set enqueued_at = now() - interval '2 hours' where resource_id = ${bad.id!}`.execute(
      t.deps.db,
    );
    // A server that refuses one resource with 422 (a profile it does not accept).
    const refusing: typeof fetch = async (input, init) => {
      if (String(init?.body ?? '').includes(`"value":"${bad.identifier![0]!.value}"`)) {
        const outcome = {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'processing' }],
        };
        return new Response(JSON.stringify(outcome), {
          status: 422,
          headers: { 'content-type': 'application/fhir+json' },
        });
      }
      return globalThis.fetch(input, init);
    };
    const registry = new (await import('prom-client')).Registry();
    const pusher = createReplication({
      db: t.deps.db,
      fetch: refusing,
      clock: t.deps.clock,
      log: t.deps.log,
      metrics: { ...t.deps.metrics, registry },
      serverUrl: server.url,
      push: { backoff: { baseMs: 1, maxMs: 1 }, deadLetterAfter: 3, timeoutMs: 5_000 },
    });
    for (let i = 0; i < 10; i += 1) {
      await pusher.drain();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await remoteByIdentifier(good)).toHaveLength(1);
    expect(await remoteByIdentifier(bad)).toHaveLength(0);
    const row = await t.deps.db
      .selectFrom('fhir_outbox')
      .select(['attempts', 'dead_at'])
      .where('resource_id', '=', bad.id!)
      .executeTakeFirstOrThrow();
    expect(row.attempts).toBe(3); // no attempt after the third
    expect(row.dead_at).not.toBeNull();
    expect(await registry.getSingleMetricAsString('fhir_replication_dead_letters_total')).toMatch(
      /fhir_replication_dead_letters_total 1$/m,
    );

    const metrics = await t.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/^fhir_outbox_dead_letters 1$/m);
    expect(metrics.body).toMatch(/^fhir_outbox_pending 0$/m);
    const ready = await t.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    const check = await t.deps.fhir.replication!.readiness.check();
    expect(check).toMatchObject({ ok: true, detail: { dead_letters: 1, pending: 0 } });

    // The operator's requeue (docs/integration.md), once the server accepts the resource.
    await sql`update fhir_outbox set dead_at = null, attempts = 0, next_attempt_at = now()
      where dead_at is not null`.execute(t.deps.db);
    await drainUntilEmpty();
    expect(await remoteByIdentifier(bad)).toHaveLength(1);
    expect((await t.app.inject({ url: '/metrics' })).body).toMatch(/^fhir_outbox_dead_letters 0$/m);
  });

  it('a 5xx is retried without becoming a dead letter', async () => {
    const u = await user();
    const obs = makeObservation(u.patientId, { key: 'dl-5xx', effectiveDateTime: '2024-06-03T08:00:00Z' });
    await t.deps.fhir.store.upsertResources(u.principal, [obs]);
    let failures = 0;
    const flaky: typeof fetch = async (input, init) => {
      if (failures < 6) {
        failures += 1;
        return new Response('busy', { status: 503 });
      }
      return globalThis.fetch(input, init);
    };
    const pusher = createReplication({
      db: t.deps.db,
      fetch: flaky,
      clock: t.deps.clock,
      log: t.deps.log,
      metrics: { ...t.deps.metrics, registry: new (await import('prom-client')).Registry() },
      serverUrl: server.url,
      push: { backoff: { baseMs: 1, maxMs: 1 }, deadLetterAfter: 3, timeoutMs: 5_000 },
    });
    for (let i = 0; i < 20 && (await remoteByIdentifier(obs)).length === 0; i += 1) {
      await pusher.drain();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(failures).toBe(6);
    expect(await remoteByIdentifier(obs)).toHaveLength(1);
    expect((await outboxStats(t.deps.db, new Date())).dead).toBe(0);
  });

  it("the app's poller delivers changes in the background", async () => {
    const u = await user();
    const obs = makeObservation(u.patientId, { key: 'bg', effectiveDateTime: '2024-05-01T08:00:00Z' });
    const appReplication = t.deps.fhir.replication!;
    appReplication.start();
    try {
      await t.deps.fhir.store.upsertResources(u.principal, [obs]);
      appReplication.kick();
      for (let i = 0; i < 100 && (await remoteByIdentifier(obs)).length === 0; i += 1) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await remoteByIdentifier(obs)).toHaveLength(1);
    } finally {
      await appReplication.stop();
    }
  });
});
