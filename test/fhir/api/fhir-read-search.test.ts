import type { Bundle, Observation } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp } from '../../helpers/app.ts';
import { makeObservation, patientIdOf } from '../store/seed.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

async function seedUser(count = 30) {
  const u = await registerUser(t.app);
  const patientId = await patientIdOf(t.app, u.auth);
  const obs: Observation[] = [];
  for (let i = 0; i < count; i += 1) {
    const at = new Date(Date.UTC(2024, 0, 1, 0, 0) + i * 3_600_000).toISOString().replace('.000Z', 'Z');
    obs.push(makeObservation(patientId, { key: `hr-${i}`, effectiveDateTime: at, value: 60 + i }));
  }
  obs.push(
    makeObservation(patientId, {
      key: 'steps-0102',
      type: 'steps',
      effectiveDateTime: '2024-01-02',
      value: 8421,
    }),
  );
  obs.push(
    makeObservation(patientId, {
      key: 'hr-window',
      effectivePeriod: { start: '2024-01-05T10:00:00+05:30', end: '2024-01-05T10:59:00+05:30' },
    }),
  );
  const result = await t.deps.fhir.store.upsertResources({ userId: u.id }, obs);
  return { ...u, patientId, obs, result };
}

const get = (url: string, auth?: { authorization: string }, headers: Record<string, string> = {}) =>
  t.app.inject({ url, headers: { ...auth, ...headers } });

describe('FHIR R4 API', () => {
  it('serves a public CapabilityStatement at both bases', async () => {
    for (const url of ['/fhir/R4/metadata', '/fhir/metadata']) {
      const res = await get(url);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('application/fhir+json');
      const cs = res.json();
      expect(cs).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1' });
      const obs = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Observation');
      expect(obs.searchParam.map((p: { name: string }) => p.name)).toEqual(
        expect.arrayContaining(['patient', 'code', 'date', '_count', '_sort']),
      );
    }
  });

  it('answers 401 as an OperationOutcome without a token', async () => {
    const res = await get('/fhir/R4/Observation');
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/fhir+json');
    expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'login' }] });
  });

  it('reads an own Observation with a weak ETag of its versionId', async () => {
    const a = await seedUser(3);
    expect(a.result).toMatchObject({ created: 5, updated: 0, unchanged: 0 });
    const id = a.obs[0]!.id!;
    const res = await get(`/fhir/R4/Observation/${id}`, a.auth);
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers['content-type']).toContain('application/fhir+json');
    const body = res.json();
    expect(body).toMatchObject({ resourceType: 'Observation', id, meta: { versionId: '1' } });
    expect(typeof body.meta.lastUpdated).toBe('string');
    const again = await get(`/fhir/R4/Observation/${id}`, a.auth, { 'if-none-match': 'W/"1"' });
    expect(again.statusCode).toBe(304);
    const json = await get(`/fhir/R4/Observation/${id}`, a.auth, { accept: 'application/json' });
    expect(json.headers['content-type']).toContain('application/json');
  });

  it("never shows user A's data to user B", async () => {
    const a = await seedUser(3);
    const b = await seedUser(1);
    const obsId = a.obs[0]!.id!;
    const read = await get(`/fhir/R4/Observation/${obsId}`, b.auth);
    expect(read.statusCode).toBe(404);
    expect(read.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] });
    expect((await get(`/fhir/R4/Patient/${a.patientId}`, b.auth)).statusCode).toBe(404);
    expect((await get(`/fhir/R4/Patient/${b.patientId}`, b.auth)).json()).toMatchObject({
      resourceType: 'Patient',
      id: b.patientId,
    });
    for (const q of [
      `patient=${a.patientId}`,
      `subject=Patient/${a.patientId}`,
      `patient=${a.patientId}&_total=accurate`,
    ]) {
      const res = await get(`/fhir/R4/Observation?${q}`, b.auth);
      expect(res.statusCode).toBe(200);
      const bundle = res.json() as Bundle;
      expect(bundle.entry?.filter((e) => e.search?.mode === 'match') ?? []).toHaveLength(0);
      expect(bundle.entry?.[0]?.search?.mode).toBe('outcome');
    }
    // B's own search never contains A's ids.
    const own = (await get('/fhir/R4/Observation?_count=500', b.auth)).json() as Bundle;
    const ids = new Set(own.entry?.map((e) => e.resource?.id));
    for (const o of a.obs) expect(ids.has(o.id)).toBe(false);
    expect(ids.size).toBe(3);
  });

  it('does not serve a Device of another user', async () => {
    const a = await seedUser(1);
    const b = await seedUser(1);
    const device = {
      resourceType: 'Device' as const,
      id: `dev-${a.id}`,
      identifier: [
        { system: 'https://phr.example/fhir/identifier/device', value: `${a.patientId}:fitbit:x` },
      ],
      patient: { reference: `Patient/${a.patientId}` },
    };
    await t.deps.fhir.store.upsertResources({ userId: a.id }, [device]);
    expect((await get(`/fhir/R4/Device/${device.id}`, a.auth)).statusCode).toBe(200);
    expect((await get(`/fhir/R4/Device/${device.id}`, b.auth)).statusCode).toBe(404);
  });

  it('searches by patient, code and date, newest first, and pages with next links', async () => {
    const a = await seedUser(30);
    const base = `/fhir/R4/Observation?patient=${a.patientId}&code=http://loinc.org|8867-4&date=ge2024-01-01&_count=7`;
    const seen: string[] = [];
    let url: string | undefined = base;
    let pages = 0;
    while (url) {
      const res = await get(url.replace(/^https?:\/\/[^/]+/, ''), a.auth);
      expect(res.statusCode, res.body).toBe(200);
      const bundle = res.json() as Bundle<Observation>;
      expect(bundle.type).toBe('searchset');
      expect(bundle.link?.find((l) => l.relation === 'self')?.url).toContain('_count=7');
      for (const e of bundle.entry ?? []) seen.push(e.resource!.id!);
      url = bundle.link?.find((l) => l.relation === 'next')?.url;
      pages += 1;
    }
    expect(pages).toBe(5); // 31 heart-rate observations, 7 per page
    expect(new Set(seen).size).toBe(31);
    const steps = (await get(`/fhir/R4/Observation?code=41950-7`, a.auth)).json() as Bundle<Observation>;
    expect(steps.entry?.map((e) => e.resource?.valueQuantity?.value)).toEqual([8421]);
  });

  it('clamps _count=1000 to 500 and serves the app view under /fhir', async () => {
    const a = await seedUser(3);
    const res = await get(`/fhir/Observation?patient=${a.patientId}&_count=1000&_sort=-date`, a.auth, {
      accept: 'application/json',
    });
    expect(res.statusCode).toBe(200);
    const bundle = res.json() as Bundle<Observation>;
    expect(bundle.link?.[0]?.url).toContain('_count=500');
    expect(bundle.entry).toHaveLength(5);
    // Every entry has a resource with effectiveDateTime (the app reads nothing else).
    for (const e of bundle.entry ?? []) expect(typeof e.resource?.effectiveDateTime).toBe('string');
    const dates = bundle.entry!.map((e) => Date.parse(e.resource!.effectiveDateTime!));
    expect(dates).toEqual([...dates].sort((x, y) => y - x));
  });

  it('reports unknown parameters in an outcome entry and answers _summary=count', async () => {
    const a = await seedUser(3);
    const res = await get('/fhir/R4/Observation?foo=bar&code:text=x&_sort=value', a.auth);
    const bundle = res.json() as Bundle;
    const oo = bundle.entry?.find((e) => e.search?.mode === 'outcome');
    expect(JSON.stringify(oo?.resource)).toContain('foo');
    expect(JSON.stringify(oo?.resource)).toContain('code:text');
    expect(bundle.entry?.filter((e) => e.search?.mode === 'match')).toHaveLength(5);
    const count = (await get('/fhir/R4/Observation?_summary=count&code=8867-4', a.auth)).json() as Bundle;
    expect(count.total).toBe(4);
    expect(count.entry).toBeUndefined();
  });

  it('rejects a bad date and a forged cursor with 400 OperationOutcome', async () => {
    const a = await seedUser(1);
    for (const q of ['date=ge2026-02-30', 'date=yesterday', '_cursor=abc', '_count=-1']) {
      const res = await get(`/fhir/R4/Observation?${q}`, a.auth);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().resourceType).toBe('OperationOutcome');
    }
  });
});
