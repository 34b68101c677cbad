/**
 * Object-level authorization: user B never reads, changes or deletes user A's objects (404, never
 * 403, never the data), and sees none of them in lists, exports, summaries or FHIR searches.
 * Every route with an object id in its path must have a case here (checked against the OpenAPI
 * document), so a new route cannot skip this suite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertEvents } from '../../src/events/events.repository.ts';
import { toDevice } from '../../src/fhir/index.ts';
import { onNeedsReauth } from '../../src/notices/notices.service.ts';
import { registerUser, type SandboxTestApp, withSandbox } from '../helpers/app.ts';
import { questionnaireCondition } from '../helpers/app-bodies.ts';
import { connectFitbit } from '../helpers/flow.ts';
import { heartRateHour, patientIdOf, stepsDays, storeMeasurements } from '../helpers/observations.ts';

type User = Awaited<ReturnType<typeof registerUser>>;
let t: SandboxTestApp;
let a: User;
let b: User;
const objects = {
  observationId: '',
  patientId: '',
  deviceId: '',
  integrationId: '',
  syncId: '',
  conditionId: '',
  endpointId: '',
  eventId: '',
  noticeId: '',
  importId: '',
};

beforeAll(async () => {
  t = await withSandbox();
  a = await registerUser(t.app);
  b = await registerUser(t.app);
  await connectFitbit(t.app, a.auth, t.sandbox.people.createPerson().id);
  const [obs] = await storeMeasurements(t, a.id, [
    ...stepsDays('2026-04-01', 3),
    heartRateHour('2026-04-01T09:00:00+00:00', 70),
  ]);
  await storeMeasurements(t, b.id, stepsDays('2026-04-01', 1));
  objects.observationId = obs!.id!;
  objects.patientId = await patientIdOf(t, a.id);
  const device = toDevice({ vendor: 'fitbit', deviceName: 'Inspire 3' }, { patientId: objects.patientId })!;
  await t.deps.fhir.store.upsertResources({ userId: a.id }, [device]);
  objects.deviceId = device.id!;
  const integration = await t.deps.db
    .selectFrom('integrations')
    .select('id')
    .where('user_id', '=', a.id)
    .executeTakeFirstOrThrow();
  objects.integrationId = integration.id;
  await onNeedsReauth(
    t.deps.db,
    { id: integration.id, user_id: a.id, vendor: 'fitbit' },
    'invalid_grant',
    new Date(),
  );
  const notice = await t.deps.db
    .selectFrom('notices')
    .select('id')
    .where('user_id', '=', a.id)
    .executeTakeFirstOrThrow();
  objects.noticeId = notice.id;
  // A finished import of A's (its upload and job are covered by test/imports).
  objects.importId = crypto.randomUUID();
  await t.deps.db
    .insertInto('imports')
    .values({
      id: objects.importId,
      user_id: a.id,
      kind: 'apple_health',
      status: 'succeeded',
      created_at: new Date(),
    })
    .execute();
  if (t.app.hasRoute({ method: 'POST', url: '/fhir/Condition' })) {
    const symptom = {
      text: 'Headache',
      code: '25064002',
      severity: 'mild' as const,
      recordedDate: '2026-04-01T10:00:00',
    };
    const created = await t.app.inject({
      method: 'POST',
      url: '/fhir/Condition',
      headers: { ...a.auth, 'content-type': 'application/json' },
      payload: questionnaireCondition(objects.patientId, symptom),
    });
    expect(created.statusCode, created.body).toBeLessThan(300);
    objects.conditionId = (created.json() as { id: string }).id;
  }
  const endpoint = await t.app.inject({
    method: 'POST',
    url: '/webhooks/endpoints',
    headers: a.auth,
    // Subscribed to a type this suite never emits: the dispatcher sends nothing to the network.
    payload: { url: 'https://93.184.216.34/hook', events: ['endpoint.disabled'] },
  });
  expect(endpoint.statusCode, endpoint.body).toBe(201);
  objects.endpointId = (endpoint.json() as { id: string }).id;
  // A delivery of one of A's events to that endpoint (the dispatcher's fan-out).
  const [eventId] = await insertEvents(
    t.deps.db,
    a.id,
    [{ type: 'account.deleted', payload: { user_id: a.id } }],
    new Date(),
  );
  objects.eventId = eventId!;
  await t.deps.db
    .insertInto('webhook_deliveries')
    .values({
      endpoint_id: objects.endpointId,
      event_id: objects.eventId,
      status: 'failed',
      created_at: new Date(),
    })
    .execute();
  if (t.app.hasRoute({ method: 'POST', url: '/health/sync' })) {
    const sync = await t.app.inject({ method: 'POST', url: '/health/sync', headers: a.auth, payload: {} });
    objects.syncId = (sync.json() as { sync_id: string }).sync_id;
  }
});
afterAll(async () => t?.close());

/** method + OpenAPI path -> the request B makes against A's object. */
const byId: Record<string, () => { method: 'GET' | 'DELETE' | 'POST' | 'PUT' | 'PATCH'; url: string }> = {
  'get /fhir/R4/Observation/{id}': () => ({
    method: 'GET',
    url: `/fhir/R4/Observation/${objects.observationId}`,
  }),
  'get /fhir/Observation/{id}': () => ({ method: 'GET', url: `/fhir/Observation/${objects.observationId}` }),
  'get /fhir/R4/Patient/{id}': () => ({ method: 'GET', url: `/fhir/R4/Patient/${objects.patientId}` }),
  'get /fhir/Patient/{id}': () => ({ method: 'GET', url: `/fhir/Patient/${objects.patientId}` }),
  'get /fhir/R4/Device/{id}': () => ({ method: 'GET', url: `/fhir/R4/Device/${objects.deviceId}` }),
  'get /fhir/Device/{id}': () => ({ method: 'GET', url: `/fhir/Device/${objects.deviceId}` }),
  'delete /integrations/vendors/{id}': () => ({
    method: 'DELETE',
    url: `/integrations/vendors/${objects.integrationId}`,
  }),
  'get /fhir/R4/Condition/{id}': () => ({ method: 'GET', url: `/fhir/R4/Condition/${objects.conditionId}` }),
  'get /fhir/Condition/{id}': () => ({ method: 'GET', url: `/fhir/Condition/${objects.conditionId}` }),
  'get /health/sync/{sync_id}': () => ({ method: 'GET', url: `/health/sync/${objects.syncId}` }),
  'get /webhooks/endpoints/{id}': () => ({ method: 'GET', url: `/webhooks/endpoints/${objects.endpointId}` }),
  'delete /webhooks/endpoints/{id}': () => ({
    method: 'DELETE',
    url: `/webhooks/endpoints/${objects.endpointId}`,
  }),
  'get /webhooks/endpoints/{id}/deliveries': () => ({
    method: 'GET',
    url: `/webhooks/endpoints/${objects.endpointId}/deliveries`,
  }),
  'post /webhooks/endpoints/{id}/deliveries/{event_id}/retry': () => ({
    method: 'POST',
    url: `/webhooks/endpoints/${objects.endpointId}/deliveries/${objects.eventId}/retry`,
  }),
  'post /notices/{id}/dismiss': () => ({ method: 'POST', url: `/notices/${objects.noticeId}/dismiss` }),
  'get /imports/{id}': () => ({ method: 'GET', url: `/imports/${objects.importId}` }),
  'delete /imports/{id}': () => ({ method: 'DELETE', url: `/imports/${objects.importId}` }),
  'post /webhooks/endpoints/{id}/rotate-secret': () => ({
    method: 'POST',
    url: `/webhooks/endpoints/${objects.endpointId}/rotate-secret`,
  }),
};

/**
 * Path parameters that name a registry entry (a vendor) or a deployment secret (Withings'
 * notification URL, a public route), not somebody's object.
 */
const NOT_OBJECT_IDS = new Set(['vendor', 'secret']);

describe('object-level authorization', () => {
  it('covers every route with an object id in its path', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const withIds = Object.entries(doc.paths).flatMap(([path, ops]) =>
      [...path.matchAll(/\{(\w+)\}/g)].some((m) => !NOT_OBJECT_IDS.has(m[1]!))
        ? Object.keys(ops).map((method) => `${method} ${path}`)
        : [],
    );
    expect(withIds.length).toBeGreaterThan(3);
    expect(withIds.filter((r) => !byId[r])).toEqual([]);
  });

  it('answers 404 to B for each of A’s objects, and A still gets them', async () => {
    for (const [route, make] of Object.entries(byId)) {
      const req = make();
      if (route.includes('{sync_id}') && !objects.syncId) continue; // no sync engine in this tree
      if (route.includes('Condition') && !objects.conditionId) continue; // no Condition writes in this tree
      const res = await t.app.inject({ ...req, headers: b.auth });
      expect(res.statusCode, `${route} as B`).toBe(404);
      expect(res.body).not.toContain(objects.patientId);
    }
    // A's objects are intact and readable by A.
    expect(
      (await t.app.inject({ url: `/fhir/R4/Observation/${objects.observationId}`, headers: a.auth }))
        .statusCode,
    ).toBe(200);
    expect(
      (await t.app.inject({ url: `/fhir/R4/Device/${objects.deviceId}`, headers: a.auth })).statusCode,
    ).toBe(200);
    if (objects.conditionId) {
      const own = await t.app.inject({ url: `/fhir/R4/Condition/${objects.conditionId}`, headers: a.auth });
      expect(own.statusCode).toBe(200);
    }
    const hook = await t.app.inject({ url: `/webhooks/endpoints/${objects.endpointId}`, headers: a.auth });
    expect(hook.statusCode).toBe(200);
    const sent = await t.app.inject({
      url: `/webhooks/endpoints/${objects.endpointId}/deliveries`,
      headers: a.auth,
    });
    expect(sent.json()).toMatchObject({ items: [{ event_id: objects.eventId, status: 'failed' }] });
    const notices = await t.app.inject({ url: '/notices', headers: a.auth });
    expect(notices.json()).toMatchObject({ notices: [{ id: objects.noticeId }] }); // not dismissed by B
    const own = await t.app.inject({ url: `/imports/${objects.importId}`, headers: a.auth });
    expect(own.json()).toMatchObject({ id: objects.importId, status: 'succeeded' }); // not deleted by B
    const list = await t.app.inject({ url: '/integrations/vendors', headers: a.auth });
    expect((list.json() as { integrations: { id: string; is_active: boolean }[] }).integrations).toEqual([
      expect.objectContaining({ id: objects.integrationId, is_active: true }),
    ]);
  });

  it('shows B none of A’s data in lists, exports, summaries and FHIR searches', async () => {
    const reads = [
      '/health/observations?limit=500',
      '/health/observations?type=heart_rate',
      '/health/summary?type=steps',
      '/health/summary?type=heart_rate&bucket=month',
      '/health/sources',
      '/health/export?format=csv',
      '/health/export?format=ndjson',
      '/health/export?format=bundle',
      '/integrations/vendors',
      '/webhooks/endpoints',
      '/notices',
      '/imports',
      '/auth/me/audit',
      '/fhir/R4/Observation',
      `/fhir/R4/Observation?patient=${objects.patientId}`,
      `/fhir/R4/Observation?subject=Patient/${objects.patientId}`,
      `/fhir/R4/Observation?_id=${objects.observationId}`,
      '/fhir/Observation?_count=1000',
      '/fhir/R4/Condition',
      `/fhir/Condition?patient=${objects.patientId}&_count=10&_sort=-recorded-date`,
    ];
    for (const url of reads) {
      const res = await t.app.inject({ url, headers: b.auth });
      expect([200, 400, 404], url).toContain(res.statusCode);
      // A searchset's self link echoes the query; its entries are what it shows.
      const shown = url.startsWith('/fhir')
        ? JSON.stringify((res.json() as { entry?: unknown[] }).entry ?? [])
        : res.body;
      for (const id of [
        objects.observationId,
        objects.patientId,
        objects.deviceId,
        objects.integrationId,
        objects.endpointId,
        objects.noticeId,
        objects.importId,
        a.email,
        objects.conditionId || a.email,
      ]) {
        expect(shown.includes(id), `${url} shows ${id}`).toBe(false);
      }
    }
    const own = (await t.app.inject({ url: '/health/observations', headers: b.auth })).json() as {
      items: unknown[];
    };
    expect(own.items).toHaveLength(1);
    const summary = (await t.app.inject({ url: '/health/summary?type=steps', headers: b.auth })).json() as {
      buckets: { count: number }[];
    };
    expect(summary.buckets.map((x) => x.count)).toEqual([1]);
  });

  it('keeps source priorities each person’s own: B neither sees nor changes A’s', async () => {
    const put = (u: User, body: object) =>
      t.app.inject({ method: 'PUT', url: '/health/sources', headers: u.auth, payload: body });
    const read = async (u: User) =>
      (await t.app.inject({ url: '/health/sources', headers: u.auth })).json() as {
        types: Record<string, string[]>;
      };
    expect((await put(a, { types: { steps: ['withings', 'fitbit'] } })).statusCode).toBe(200);
    expect((await read(b)).types).toEqual({});
    expect((await put(b, { types: { steps: ['fitbit'] } })).statusCode).toBe(200);
    expect((await put(b, {})).statusCode).toBe(200);
    expect((await read(a)).types).toEqual({ steps: ['withings', 'fitbit'] });
    expect((await read(b)).types).toEqual({});
  });

  it('does not let B deactivate A’s integration', async () => {
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/integrations/vendors/${objects.integrationId}`,
      headers: b.auth,
    });
    expect(res.statusCode).toBe(404);
    const row = await t.deps.db
      .selectFrom('integrations')
      .select(['is_active', 'status'])
      .where('id', '=', objects.integrationId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ is_active: true, status: 'connected' });
  });
});
