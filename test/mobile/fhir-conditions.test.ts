// Contract rows 13-14: symptoms as FHIR Conditions, written and read exactly as PHR-App does.
import type { OperationOutcome } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';
import {
  conditionBundle,
  dartLocal,
  offlineCondition,
  questionnaireCondition,
  type Symptom,
} from '../helpers/app-bodies.ts';
import {
  type AppClient,
  appClient,
  dart,
  dartTryParse,
  entriesOf,
  jsonBodyOf,
  parseCondition,
} from '../helpers/phr-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { FHIR_SERVER_URL: 'http://127.0.0.1:9/fhir' } });
});
afterAll(async () => t?.close());

async function person(timeZone?: string) {
  const u = await registerUser(t.app);
  if (timeZone)
    await t.deps.db.updateTable('users').set({ time_zone: timeZone }).where('id', '=', u.id).execute();
  const client: AppClient = appClient(t.app, u.accessToken);
  const patientId = dart.string(dart.map((await client.get('/auth/me')).json()).fhir_patient_id);
  return { ...u, client, patientId };
}

const symptom = (i: number, overrides: Partial<Symptom> = {}): Symptom => ({
  text: ['Headache', 'Nausea', 'Fatigue', 'Dizziness'][i % 4]!,
  code: ['25064002', '422587007', '84229001', '404640003'][i % 4]!,
  severity: 'moderate',
  recordedDate: dartLocal(`2026-07-0${1 + (i % 9)}T08:00:00`),
  ...overrides,
});

async function appConditions(p: { client: AppClient; patientId: string }) {
  const res = await p.client.get(`/fhir/Condition?patient=${p.patientId}&_count=10&_sort=-recorded-date`);
  expect(res.statusCode).toBe(200);
  return entriesOf(jsonBodyOf(res)).map(parseCondition);
}

describe('POST /fhir/Condition and GET /fhir/Condition', () => {
  it('stores a questionnaire answer (201), a retry is the same resource (200), and the app reads strings', async () => {
    const p = await person('Asia/Jakarta');
    const body = questionnaireCondition(
      p.patientId,
      symptom(0, { note: 'after lunch' }),
      '1751600000000000-4821',
    );
    const first = await p.client.post('/fhir/Condition', body);
    expect(first.statusCode, first.body).toBe(201);
    const retries = await Promise.all([1, 2, 3].map(() => p.client.post('/fhir/Condition', body)));
    expect(retries.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(new Set(retries.map((r) => r.json().id))).toEqual(new Set([first.json().id]));

    const [c, ...rest] = await appConditions(p);
    expect(rest).toEqual([]);
    expect(c).toMatchObject({
      condition: 'Headache',
      conditionCode: '25064002',
      codeSystem: 'http://snomed.info/sct',
      severity: 'Moderate',
      severityCode: '6736007',
      notes: 'after lunch',
      recordedDate: '2026-07-01T08:00:00.123456+07:00',
    });
    expect(dartTryParse(c?.recordedDate)).not.toBeNull();
    // The app's idempotency identifier is kept after ours.
    expect(first.json().identifier[1]).toEqual({
      system: 'urn:app:condition-request',
      value: '1751600000000000-4821',
    });
  });

  it('stores every entry of a transaction Bundle and answers a transaction-response', async () => {
    const p = await person();
    const bundle = conditionBundle(p.patientId, [symptom(0), symptom(1), symptom(2)]);
    const res = await p.client.post('/fhir/Condition', bundle);
    expect(res.statusCode, res.body).toBe(200);
    const out = res.json();
    expect(out.type).toBe('transaction-response');
    expect(out.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual([
      '201 Created',
      '201 Created',
      '201 Created',
    ]);
    // Re-sent: nothing new.
    const again = await p.client.post('/fhir/Condition', bundle);
    expect(again.json().entry.map((e: { response: { status: string } }) => e.response.status)).toEqual([
      '200 OK',
      '200 OK',
      '200 OK',
    ]);
    expect((await appConditions(p)).map((c) => c.condition)).toEqual(['Fatigue', 'Nausea', 'Headache']);
  });

  it('refuses a whole Bundle when one entry is invalid, naming that entry', async () => {
    const p = await person();
    const bundle = conditionBundle(p.patientId, [symptom(0), symptom(1)]) as {
      entry: { resource: Record<string, unknown> }[];
    };
    bundle.entry[1]!.resource.severity = 'bad';
    const res = await p.client.post('/fhir/Condition', bundle);
    expect(res.statusCode).toBe(400);
    const oo = res.json() as OperationOutcome;
    expect(oo.issue[0]?.expression?.[0]).toMatch(/^Bundle\.entry\[1\]\.resource\.severity/);
    expect(await appConditions(p)).toEqual([]);
  });

  it('keys offline-queue Conditions (no identifier) by content, so a replay does not double them', async () => {
    const p = await person('Europe/Berlin');
    const body = offlineCondition(p.patientId, 'Headache after medication', dartLocal('2026-07-03T21:15:00'));
    expect((await p.client.post('/fhir/Condition', body)).statusCode).toBe(201);
    expect((await p.client.post('/fhir/Condition', body)).statusCode).toBe(200);
    const list = await appConditions(p);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      condition: 'Headache after medication',
      onsetDateTime: '2026-07-03T21:15:00.123456+02:00',
      category: 'Problem List Item',
      clinicalStatus: 'Active',
    });
  });

  it('sorts newest recorded first, honours _count, pages with next links', async () => {
    const p = await person();
    for (let i = 0; i < 12; i += 1) {
      const recordedDate = dartLocal(`2026-06-${String(10 + i).padStart(2, '0')}T08:00:00`);
      await p.client.post(
        '/fhir/Condition',
        questionnaireCondition(p.patientId, symptom(i, { recordedDate }), `req-${i}`),
      );
    }
    const page = await appConditions(p);
    expect(page).toHaveLength(10);
    expect(page.map((c) => c.recordedDate?.slice(0, 10))).toEqual(
      Array.from({ length: 10 }, (_, i) => `2026-06-${String(21 - i).padStart(2, '0')}`),
    );
    const first = (
      await p.client.get(`/fhir/R4/Condition?patient=Patient/${p.patientId}&_count=5&_sort=recorded-date`)
    ).json();
    expect(
      first.entry.map((e: { resource: { recordedDate: string } }) => e.resource.recordedDate.slice(8, 10)),
    ).toEqual(['10', '11', '12', '13', '14']);
    const next = first.link.find((l: { relation: string }) => l.relation === 'next').url as string;
    const second = (await p.client.get(next.slice(next.indexOf('/fhir/')))).json();
    expect(second.entry[0].resource.recordedDate.slice(8, 10)).toBe('15');
  });

  it('keeps people apart: another Patient’s id gives an empty Bundle, a foreign subject a 422', async () => {
    const a = await person();
    const b = await person();
    await a.client.post('/fhir/Condition', questionnaireCondition(a.patientId, symptom(0), 'a-1'));
    const peek = await b.client.get(`/fhir/Condition?patient=${a.patientId}&_count=10&_sort=-recorded-date`);
    expect(peek.statusCode).toBe(200);
    expect(entriesOf(peek.json()).filter((r) => r.resourceType === 'Condition')).toEqual([]);
    const forged = await b.client.post(
      '/fhir/Condition',
      questionnaireCondition(a.patientId, symptom(1), 'b-1'),
    );
    expect(forged.statusCode).toBe(422);
    expect(forged.json().issue[0].expression).toEqual(['Condition.subject']);
    expect(await appConditions(a)).toHaveLength(1);
    const id = (await appConditions(a))[0]?.id as string;
    expect((await b.client.get(`/fhir/Condition/${id}`)).statusCode).toBe(404);
    expect((await a.client.get(`/fhir/Condition/${id}`)).statusCode).toBe(200);
  });

  it('queues written Conditions and Observations for the external FHIR server', async () => {
    const p = await person();
    const res = await p.client.post(
      '/fhir/Condition',
      questionnaireCondition(p.patientId, symptom(3), 'ext-1'),
    );
    const rows = await t.deps.db
      .selectFrom('fhir_outbox')
      .select(['resource_type', 'resource_id'])
      .where('user_id', '=', p.id)
      .execute();
    expect(rows).toEqual(
      expect.arrayContaining([{ resource_type: 'Condition', resource_id: res.json().id }]),
    );
  });
});
