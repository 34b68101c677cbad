// User-written FHIR data cannot pass for synced data nor point at another person's resources.
import type { OperationOutcome } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toDevice } from '../../../src/fhir/resources.mapper.ts';
import { createTestApp, registerUser, type TestApp } from '../../helpers/app.ts';
import { bloodPressurePanel, questionnaireCondition, singleValue } from '../../helpers/app-bodies.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

interface Person {
  id: number;
  patientId: string;
  auth: { authorization: string };
  observationId: string;
  conditionId: string;
  deviceId: string;
}

async function post(p: { auth: { authorization: string } }, type: string, body: unknown) {
  return t.app.inject({ method: 'POST', url: `/fhir/${type}`, headers: p.auth, payload: body as object });
}

/** A person with one Observation and one Condition written through the API and a synced Device. */
async function person(): Promise<Person> {
  const u = await registerUser(t.app);
  const me = (await t.app.inject({ url: '/auth/me', headers: u.auth })).json();
  const patientId = me.fhir_patient_id as string;
  const p = { id: u.id, patientId, auth: u.auth };
  const obs = await post(p, 'Observation', singleValue('heart_rate', 70, patientId, '2026-05-01T08:00:00Z'));
  const cond = await post(
    p,
    'Condition',
    questionnaireCondition(patientId, {
      text: 'Headache',
      code: '25064002',
      severity: 'mild',
      recordedDate: '2026-05-01',
    }),
  );
  expect([obs.statusCode, cond.statusCode], `${obs.body} ${cond.body}`).toEqual([201, 201]);
  const device = toDevice({ vendor: 'fitbit', deviceName: 'Inspire 3' }, { patientId });
  if (!device?.id) throw new Error('no device');
  await t.deps.fhir.store.upsertResources({ userId: u.id }, [device]);
  return { ...p, observationId: obs.json().id, conditionId: cond.json().id, deviceId: device.id };
}

function expressions(body: OperationOutcome): string[] {
  return (body.issue ?? []).flatMap((i) => i.expression ?? []);
}

async function count(p: Person, type: string): Promise<number> {
  const rows = await t.deps.db
    .selectFrom('fhir_resources')
    .select('id')
    .where('user_id', '=', p.id)
    .where('resource_type', '=', type as 'Observation')
    .execute();
  return rows.length;
}

let a: Person;
let b: Person;
beforeAll(async () => {
  a = await person();
  b = await person();
});

describe('provenance of user-written data is the server’s', () => {
  it('replaces a client meta.source and vendor tag, and drops identifiers in the server’s namespace', async () => {
    const body = {
      ...singleValue('heart_rate', 81, a.patientId, '2026-05-02T08:00:00Z'),
      meta: {
        source: 'https://health.googleapis.com',
        tag: [
          { system: 'https://phr.example/fhir/CodeSystem/vendor', code: 'fitbit' },
          { system: 'https://example.org/tags', code: 'kept' },
        ],
      },
      identifier: [
        { system: 'https://phr.example/fhir/identifier/observation', value: `${a.patientId}|fitbit|x` },
        { system: 'https://example.org/reading', value: 'r-1' },
      ],
    };
    const res = await post(a, 'Observation', body);
    expect(res.statusCode, res.body).toBe(201);
    const stored = (
      await t.app.inject({ url: `/fhir/R4/Observation/${res.json().id}`, headers: a.auth })
    ).json();
    expect(stored.meta.source).toBe('https://phr.example/fhir/source/manual');
    expect(stored.meta.tag).toEqual([
      { system: 'https://example.org/tags', code: 'kept' },
      { system: 'https://phr.example/fhir/CodeSystem/vendor', code: 'manual' },
    ]);
    expect(stored.identifier).toHaveLength(2);
    expect(stored.identifier[0].value).toMatch(new RegExp(`^${a.patientId}:manual:`));
    expect(stored.identifier[1]).toEqual({ system: 'https://example.org/reading', value: 'r-1' });

    const items = (await t.app.inject({ url: '/health/observations?limit=500', headers: a.auth })).json()
      .items;
    const item = items.find((i: { value: number }) => i.value === 81);
    expect(item.source.vendor).toBe('manual');
  });

  it('gives a Condition the server’s meta.source and tag too', async () => {
    const body = {
      ...questionnaireCondition(a.patientId, {
        text: 'Nausea',
        code: '422587007',
        severity: 'mild',
        recordedDate: '2026-05-03',
      }),
      meta: {
        source: 'https://health.googleapis.com/v4/users/me/dataTypes/steps',
        tag: [{ system: 'https://phr.example/fhir/CodeSystem/vendor', code: 'fitbit' }],
      },
    };
    const res = await post(a, 'Condition', body);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().meta).toMatchObject({
      source: 'https://phr.example/fhir/source/manual',
      tag: [{ system: 'https://phr.example/fhir/CodeSystem/vendor', code: 'manual' }],
    });
  });
});

describe('references must name the caller’s own data', () => {
  const observationElements = (other: Person) =>
    ({
      focus: [{ reference: `Observation/${other.observationId}` }],
      performer: [{ reference: `Patient/${other.patientId}` }],
      hasMember: [{ reference: `Observation/${other.observationId}` }],
      derivedFrom: [{ reference: `Observation/${other.observationId}` }],
      partOf: [{ reference: `Observation/${other.observationId}` }],
      specimen: { reference: `Observation/${other.observationId}` },
      device: { reference: `Device/${other.deviceId}` },
      encounter: { reference: `Condition/${other.conditionId}` },
      basedOn: [{ reference: `Condition/${other.conditionId}` }],
    }) as Record<string, unknown>;

  it.each([
    'focus',
    'performer',
    'hasMember',
    'derivedFrom',
    'partOf',
    'specimen',
    'device',
    'encounter',
    'basedOn',
  ])(
    'refuses Observation.%s pointing at another person’s resource (422, nothing stored)',
    async (element) => {
      const before = await count(a, 'Observation');
      const value = observationElements(b)[element];
      const res = await post(a, 'Observation', {
        ...singleValue('heart_rate', 90, a.patientId, '2026-05-04T08:00:00Z'),
        [element]: value,
      });
      expect(res.statusCode, res.body).toBe(422);
      expect(res.headers['content-type']).toContain('fhir+json');
      const path = Array.isArray(value) ? `Observation.${element}[0]` : `Observation.${element}`;
      expect(expressions(res.json())).toEqual([path]);
      expect(await count(a, 'Observation')).toBe(before);
    },
  );

  it.each([
    [
      'evidence',
      { evidence: [{ detail: [{ reference: 'OWN_OBS' }, { reference: 'OTHER_OBS' }] }] },
      'Condition.evidence[0].detail[1]',
    ],
    ['asserter', { asserter: { reference: 'OTHER_PATIENT' } }, 'Condition.asserter'],
    ['recorder', { recorder: { reference: 'OTHER_PATIENT' } }, 'Condition.recorder'],
    ['encounter', { encounter: { reference: 'OTHER_CONDITION' } }, 'Condition.encounter'],
    [
      'stage.assessment',
      { stage: [{ assessment: [{ reference: 'OTHER_OBS' }] }] },
      'Condition.stage[0].assessment[0]',
    ],
  ])('refuses Condition.%s pointing at another person’s resource', async (_name, extra, path) => {
    const fill = JSON.stringify(extra)
      .replaceAll('OWN_OBS', `Observation/${a.observationId}`)
      .replaceAll('OTHER_OBS', `Observation/${b.observationId}`)
      .replaceAll('OTHER_PATIENT', `Patient/${b.patientId}`)
      .replaceAll('OTHER_CONDITION', `Condition/${b.conditionId}`);
    const before = await count(a, 'Condition');
    const res = await post(a, 'Condition', {
      ...questionnaireCondition(a.patientId, {
        text: 'Cough',
        code: '49727002',
        severity: 'mild',
        recordedDate: '2026-05-05',
      }),
      ...JSON.parse(fill),
    });
    expect(res.statusCode, res.body).toBe(422);
    expect(expressions(res.json())).toEqual([path]);
    expect(await count(a, 'Condition')).toBe(before);
  });

  it('names the entry of a transaction Bundle whose Condition points elsewhere, and stores none of it', async () => {
    const before = await count(a, 'Condition');
    const entry = (recorder: string) => ({
      resource: {
        ...questionnaireCondition(a.patientId, {
          text: 'Fever',
          code: '386661006',
          severity: 'mild',
          recordedDate: '2026-05-06',
        }),
        recorder: { reference: recorder },
      },
      request: { method: 'POST', url: 'Condition' },
    });
    const res = await post(a, 'Condition', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [entry(`Patient/${a.patientId}`), entry(`Patient/${b.patientId}`)],
    });
    expect(res.statusCode, res.body).toBe(422);
    expect(expressions(res.json())).toEqual(['Bundle.entry[1].resource.recorder']);
    expect(await count(a, 'Condition')).toBe(before);
  });

  it('refuses absolute URLs, unstored types, urn: and our identifier systems; names every element', async () => {
    const res = await post(a, 'Observation', {
      ...singleValue('heart_rate', 91, a.patientId, '2026-05-04T09:00:00Z'),
      hasMember: [
        { reference: `https://fhir.other.example/Observation/${a.observationId}` },
        { reference: 'urn:uuid:7c3b4a2e-0f7f-4d6b-9f7e-3f1f1f1f1f1f' },
      ],
      performer: [{ reference: 'Practitioner/123' }],
      encounter: { reference: '#missing' },
      focus: [{ identifier: { system: 'https://phr.example/fhir/identifier/user', value: String(b.id) } }],
    });
    expect(res.statusCode, res.body).toBe(422);
    expect(expressions(res.json()).sort()).toEqual(
      [
        'Observation.encounter',
        'Observation.focus[0].identifier',
        'Observation.hasMember[0]',
        'Observation.hasMember[1]',
        'Observation.performer[0]',
      ].sort(),
    );
  });

  it('a reference to a resource that does not exist is refused like someone else’s', async () => {
    const res = await post(a, 'Observation', {
      ...singleValue('heart_rate', 92, a.patientId, '2026-05-04T10:00:00Z'),
      derivedFrom: [{ reference: 'Observation/00000000-0000-4000-8000-000000000000' }],
    });
    expect(res.statusCode).toBe(422);
    expect(expressions(res.json())).toEqual(['Observation.derivedFrom[0]']);
  });

  it('accepts references to the caller’s own resources, contained ones, and display-only ones', async () => {
    const res = await post(a, 'Observation', {
      ...bloodPressurePanel(120, 80, a.patientId, '2026-05-04T11:00:00Z'),
      contained: [
        { resourceType: 'Device', id: 'cuff', deviceName: [{ name: 'Cuff', type: 'user-friendly-name' }] },
      ],
      focus: [{ reference: `Observation/${a.observationId}` }],
      performer: [{ reference: `Patient/${a.patientId}` }, { display: 'Dr. Smith' }],
      hasMember: [{ reference: `Observation/${a.observationId}/_history/1` }],
      derivedFrom: [{ reference: `Observation/${a.observationId}` }],
      partOf: [{ reference: `Observation/${a.observationId}` }],
      device: { reference: '#cuff' },
      basedOn: [{ reference: `Condition/${a.conditionId}` }],
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().hasMember).toEqual([{ reference: `Observation/${a.observationId}/_history/1` }]);

    const synced = await post(a, 'Observation', {
      ...singleValue('heart_rate', 93, a.patientId, '2026-05-04T12:00:00Z'),
      device: { reference: `Device/${a.deviceId}` },
    });
    expect(synced.statusCode, synced.body).toBe(201);

    const cond = await post(a, 'Condition', {
      ...questionnaireCondition(a.patientId, {
        text: 'Dizziness',
        code: '404640003',
        severity: 'mild',
        recordedDate: '2026-05-07',
      }),
      asserter: { reference: `Patient/${a.patientId}` },
      recorder: { reference: `Patient/${a.patientId}` },
      evidence: [{ detail: [{ reference: `Observation/${a.observationId}` }] }],
    });
    expect(cond.statusCode, cond.body).toBe(201);
  });
});

describe('bodies no FHIR resource looks like', () => {
  it('answers 400 naming the body for one nested deeper than any resource, not a 500', async () => {
    for (const depth of [70, 20_000]) {
      const payload = `{"resourceType":"Observation","status":"final","code":{"text":"x"},"note":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      const res = await t.app.inject({
        method: 'POST',
        url: '/fhir/Observation',
        headers: { ...a.auth, 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(expressions(res.json())).toEqual(['body']);
    }
  });
});
