// Contract rows 11-12: POST /fhir/Observation exactly as PHR-App sends it, read back as it reads it.
import type { OperationOutcome } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';
import { bloodPressurePanel, dartLocal, HEALTH_CONNECT_NOTE, singleValue } from '../helpers/app-bodies.ts';
import {
  type AppClient,
  appClient,
  dart,
  entriesOf,
  jsonBodyOf,
  parseObservation,
} from '../helpers/phr-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

interface Person {
  id: number;
  patientId: string;
  client: AppClient;
  auth: { authorization: string };
}

async function person(timeZone?: string): Promise<Person> {
  const u = await registerUser(t.app);
  if (timeZone)
    await t.deps.db.updateTable('users').set({ time_zone: timeZone }).where('id', '=', u.id).execute();
  const client = appClient(t.app, u.accessToken);
  const me = dart.map((await client.get('/auth/me')).json());
  return { id: u.id, patientId: dart.string(me.fhir_patient_id), client, auth: u.auth };
}

const listUrl = (p: Person) => `/fhir/Observation?patient=${p.patientId}&_count=1000&_sort=-date`;

async function appList(p: Person) {
  const res = await p.client.get(listUrl(p));
  expect(res.statusCode).toBe(200);
  return entriesOf(jsonBodyOf(res)).map(parseObservation);
}

async function healthItems(p: Person, query = '') {
  const res = await t.app.inject({ url: `/health/observations?limit=500${query}`, headers: p.auth });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as {
    type: string;
    value: number;
    source: { vendor: string };
    effective_start: string;
  }[];
}

describe('POST /fhir/Observation (manual vitals, heart-rate monitor, Health Connect)', () => {
  it('accepts an offset-less local time, answers 201, and reads it in the person’s zone', async () => {
    const p = await person('Asia/Jakarta');
    const sent = dartLocal('2026-07-04T09:30:00');
    const res = await p.client.post('/fhir/Observation', singleValue('heart_rate', 72.0, p.patientId, sent));
    expect(res.statusCode, res.body).toBe(201);
    const stored = res.json();
    expect(stored.effectiveDateTime).toBe('2026-07-04T09:30:00.123456+07:00');
    expect(stored._effectiveDateTime.extension).toEqual([
      { url: 'https://phr.example/fhir/StructureDefinition/original-date-time', valueString: sent },
    ]);
    expect(res.headers.location).toMatch(new RegExp(`/fhir/Observation/${stored.id}/_history/1$`));

    const [item] = await appList(p);
    expect(item).toMatchObject({ type: 'Heart Rate', value: 72, unit: 'bpm', loincCode: '8867-4' });
    expect(item?.effectiveDateTime).toBe('2026-07-04T09:30:00.123456+07:00');
  });

  it('uses DEFAULT_TIME_ZONE when the person has none, and the offset in force on that date (DST)', async () => {
    const utc = await person();
    const r1 = await utc.client.post(
      '/fhir/Observation',
      singleValue('body_weight', 71.5, utc.patientId, dartLocal('2026-01-10T07:00:00')),
    );
    expect(r1.json().effectiveDateTime).toBe('2026-01-10T07:00:00.123456+00:00');

    const ny = await person('America/New_York');
    const winter = await ny.client.post(
      '/fhir/Observation',
      singleValue('body_weight', 80, ny.patientId, dartLocal('2026-01-10T07:00:00')),
    );
    const summer = await ny.client.post(
      '/fhir/Observation',
      singleValue('body_weight', 79, ny.patientId, dartLocal('2026-07-10T07:00:00')),
    );
    expect(winter.json().effectiveDateTime).toMatch(/-05:00$/);
    expect(summer.json().effectiveDateTime).toMatch(/-04:00$/);
    // A time with an offset is kept as sent, without an extension.
    const z = await ny.client.post(
      '/fhir/Observation',
      singleValue('body_weight', 78, ny.patientId, '2026-07-11T07:00:00.000Z'),
    );
    expect(z.json()).toMatchObject({ effectiveDateTime: '2026-07-11T07:00:00.000Z' });
    expect(z.json()._effectiveDateTime).toBeUndefined();
  });

  it('never doubles a re-sent value: 200 with the same resource, one item in every view', async () => {
    const p = await person('Europe/Berlin');
    const body = singleValue('heart_rate', 64.0, p.patientId, dartLocal('2026-07-04T10:00:00'));
    const first = await p.client.post('/fhir/Observation', body);
    const again = await p.client.post('/fhir/Observation', body);
    expect([first.statusCode, again.statusCode]).toEqual([201, 200]);
    expect(again.json().id).toBe(first.json().id);
    expect(again.json().meta.versionId).toBe('1');
    // Same time, another value: a second reading.
    await p.client.post(
      '/fhir/Observation',
      singleValue('heart_rate', 65.0, p.patientId, dartLocal('2026-07-04T10:00:00')),
    );
    expect((await appList(p)).map((o) => o.value).sort()).toEqual([64, 65]);
    expect((await healthItems(p)).length).toBe(2);
  });

  it('a Health Connect run that restarts after a failure re-sends points without duplicating them', async () => {
    const p = await person('Asia/Jakarta');
    const points = Array.from({ length: 6 }, (_, i) =>
      singleValue(
        'heart_rate',
        60 + i,
        p.patientId,
        dartLocal(`2026-07-04T1${i}:00:00`, '000000'),
        HEALTH_CONNECT_NOTE,
      ),
    );
    for (const body of points.slice(0, 4))
      expect((await p.client.post('/fhir/Observation', body)).statusCode).toBe(201);
    // The next run starts again from the last successful sync time: points 2..5 again.
    const statuses = [];
    for (const body of points.slice(2))
      statuses.push((await p.client.post('/fhir/Observation', body)).statusCode);
    expect(statuses).toEqual([200, 200, 201, 201]);
    const items = await healthItems(p, '&type=heart_rate');
    expect(items).toHaveLength(6);
    expect(new Set(items.map((i) => i.source.vendor))).toEqual(new Set(['health_connect']));
  });

  it('maps the app’s codes to health API types where they match; manual entries are source manual', async () => {
    const p = await person('UTC');
    const at = (h: number) => dartLocal(`2026-07-05T0${h}:00:00`);
    await p.client.post('/fhir/Observation', singleValue('heart_rate', 70, p.patientId, at(1)));
    await p.client.post('/fhir/Observation', singleValue('oxygen_saturation', 97, p.patientId, at(2)));
    await p.client.post('/fhir/Observation', singleValue('body_weight', 70.2, p.patientId, at(3)));
    await p.client.post('/fhir/Observation', singleValue('respiratory_rate', 15, p.patientId, at(4)));
    await p.client.post('/fhir/Observation', singleValue('body_temperature', 36.8, p.patientId, at(5)));
    await p.client.post('/fhir/Observation', singleValue('steps', 420, p.patientId, at(6)));
    const items = await healthItems(p);
    expect(items.map((i) => [i.type, i.value, i.source.vendor]).sort()).toEqual(
      [
        ['body_temperature', 36.8, 'manual'],
        ['body_weight', 70.2, 'manual'],
        ['heart_rate', 70, 'manual'],
        ['respiratory_rate', 15, 'manual'],
        ['spo2', 97, 'manual'],
      ].sort(),
    );
    expect(items.find((i) => i.type === 'heart_rate')?.effective_start).toBe(
      '2026-07-05T01:00:00.123456+00:00',
    );
    // Steps points stay FHIR-only, but the app lists all six.
    expect(await appList(p)).toHaveLength(6);
    const summary = await t.app.inject({
      url: '/health/summary?type=heart_rate&start=2026-07-05&end=2026-07-06',
      headers: p.auth,
    });
    expect(summary.json().buckets).toMatchObject([{ count: 1, avg: 70 }]);
    const exported = await t.app.inject({ url: '/health/export?format=ndjson&type=spo2', headers: p.auth });
    expect(exported.statusCode).toBe(200);
    expect(
      exported.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toMatchObject([
      {
        resourceType: 'Observation',
        valueQuantity: { value: 97 },
        meta: { tag: [{ system: 'https://phr.example/fhir/CodeSystem/vendor', code: 'manual' }] },
      },
    ]);
  });

  it('stores a blood-pressure panel with its components; the app sees them, the health API does not', async () => {
    const p = await person('Asia/Jakarta');
    const at = dartLocal('2026-07-04T08:00:00');
    const res = await p.client.post('/fhir/Observation', bloodPressurePanel(120.0, 80.0, p.patientId, at));
    expect(res.statusCode, res.body).toBe(201);
    // The app sends a fresh UUID with each retry; the content decides.
    const again = await p.client.post('/fhir/Observation', bloodPressurePanel(120.0, 80.0, p.patientId, at));
    expect(again.statusCode).toBe(200);
    const [item, ...rest] = await appList(p);
    expect(rest).toHaveLength(0);
    expect(item?.loincCode).toBe('35094-2');
    expect(item?.type.toLowerCase()).toContain('blood pressure');
    const components = (item?.component ?? []).map((c) => {
      const comp = dart.map(c);
      const coding = dart.map(dart.list(dart.map(comp.code).coding)[0]);
      return [coding.code, dart.num(dart.map(comp.valueQuantity).value)];
    });
    expect(components).toEqual([
      ['8480-6', 120],
      ['8462-4', 80],
    ]);
    expect(await healthItems(p)).toEqual([]);
  });

  it('sets a missing subject to the caller and refuses someone else’s (422, nothing stored)', async () => {
    const a = await person();
    const b = await person();
    const { subject: _s, ...noSubject } = singleValue(
      'heart_rate',
      71,
      a.patientId,
      dartLocal('2026-07-04T08:00:00'),
    );
    const ok = await a.client.post('/fhir/Observation', noSubject);
    expect(ok.statusCode).toBe(201);
    expect(ok.json().subject).toEqual({ reference: `Patient/${a.patientId}` });

    const res = await a.client.post(
      '/fhir/Observation',
      singleValue('heart_rate', 99, b.patientId, dartLocal('2026-07-04T09:00:00')),
    );
    expect(res.statusCode).toBe(422);
    const oo = res.json() as OperationOutcome;
    expect(oo.resourceType).toBe('OperationOutcome');
    expect(oo.issue[0]?.expression).toEqual(['Observation.subject']);
    expect(await appList(b)).toEqual([]);
    expect(await appList(a)).toHaveLength(1);
  });

  it('answers 400 OperationOutcomes that name the element, and stores nothing', async () => {
    const p = await person();
    const good = singleValue('heart_rate', 70, p.patientId, dartLocal('2026-07-04T08:00:00'));
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, bogus: 1 }, 'Observation.bogus'],
      [{ ...good, status: undefined }, 'Observation.status'],
      [{ ...good, effectiveDateTime: '2026-02-30T10:00:00' }, 'Observation.effectiveDateTime'],
      [{ ...good, valueQuantity: { value: 'seventy' } }, 'Observation.valueQuantity.value'],
      [
        { ...good, component: [{ code: { text: 'a' } }, { code: { text: 'b' }, valueString: 7 }] },
        'Observation.component[1].valueString',
      ],
      [{ ...good, resourceType: 'Patient' }, 'resourceType'],
    ];
    for (const [body, element] of cases) {
      const res = await p.client.post('/fhir/Observation', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/fhir+json');
      const oo = res.json() as OperationOutcome;
      expect(oo.issue[0]?.expression?.[0], res.body).toBe(element);
    }
    expect(await appList(p)).toEqual([]);
  });

  it('is also served at /fhir/R4 and takes application/fhir+json', async () => {
    const p = await person();
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/R4/Observation',
      headers: { ...p.auth, 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
      payload: JSON.stringify(singleValue('heart_rate', 75, p.patientId, '2026-07-04T08:00:00+02:00')),
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['content-type']).toContain('application/fhir+json');
    const read = await t.app.inject({ url: `/fhir/R4/Observation/${res.json().id}`, headers: p.auth });
    expect(read.json()).toMatchObject({ valueQuantity: { value: 75 }, meta: { tag: [{ code: 'manual' }] } });
  });
});
