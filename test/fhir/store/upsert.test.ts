import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_COLUMNS } from '../../../src/fhir/store/fhir.repository.ts';
import { createFhirStore } from '../../../src/fhir/store/fhir.service.ts';
import { queryObservations } from '../../../src/fhir/store/observation-query.repository.ts';
import { setUserTimeZone } from '../../../src/sync/sync.repository.ts';
import { createTestApp, registerUser, type TestApp } from '../../helpers/app.ts';
import { makeObservation, patientIdOf } from './seed.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

async function user() {
  const u = await registerUser(t.app);
  return { ...u, patientId: await patientIdOf(t.app, u.auth), principal: { userId: u.id } };
}

const hourly = (patientId: string, n: number, value = 60) =>
  Array.from({ length: n }, (_, i) =>
    makeObservation(patientId, {
      key: `hr-${i}`,
      effectiveDateTime: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString(),
      value,
    }),
  );

describe('FHIR store upsert', () => {
  it('counts created / unchanged / updated and bumps versionId only on a change', async () => {
    const u = await user();
    const store = t.deps.fhir.store;
    const obs = hourly(u.patientId, 10);
    expect(await store.upsertResources(u.principal, obs)).toMatchObject({
      created: 10,
      updated: 0,
      unchanged: 0,
    });
    const first = await store.readObservation(u.principal, obs[0]!.id!);
    expect(first.versionId).toBe(1);

    // Same content, even with other meta.versionId/lastUpdated and key order: unchanged.
    const again = obs.map((o) => ({
      ...o,
      meta: { ...o.meta, versionId: '99', lastUpdated: '2020-01-01T00:00:00Z' },
    }));
    expect(await store.upsertResources(u.principal, again)).toMatchObject({
      created: 0,
      updated: 0,
      unchanged: 10,
    });
    const same = await store.readObservation(u.principal, obs[0]!.id!);
    expect(same.versionId).toBe(1);
    expect(same.lastUpdated.getTime()).toBe(first.lastUpdated.getTime());

    // An updated daily total replaces the value under the same id, version 2.
    const changed = [
      { ...obs[0]!, valueQuantity: { ...obs[0]!.valueQuantity!, value: 99 } },
      ...obs.slice(1),
    ];
    expect(await store.upsertResources(u.principal, changed)).toMatchObject({
      created: 0,
      updated: 1,
      unchanged: 9,
    });
    const read = await store.readObservation(u.principal, obs[0]!.id!);
    expect(read.versionId).toBe(2);
    expect(read.resource.valueQuantity?.value).toBe(99);
    expect(read.resource.meta?.versionId).toBe('2');
  });

  it('writes thousands of rows across several statements and keeps the last duplicate', async () => {
    const u = await user();
    const store = createFhirStore({
      db: t.deps.db,
      clock: t.deps.clock,
      replicate: false,
      defaultTimeZone: 'UTC',
      batchSize: 1_000,
    });
    const obs = hourly(u.patientId, 2_500);
    const dup = { ...obs[5]!, valueQuantity: { ...obs[5]!.valueQuantity!, value: 123 } };
    const r = await store.upsertResources(u.principal, [...obs, dup]);
    expect(r).toMatchObject({ created: 2_500, updated: 0, unchanged: 0 });
    expect((await store.readObservation(u.principal, obs[5]!.id!)).resource.valueQuantity?.value).toBe(123);
  });

  it('stores text beyond ASCII byte for byte (the batch travels as UTF-8 lines)', async () => {
    const u = await user();
    const texts = [
      'Fréquence cardiaque',
      '心拍数 ❤️',
      'a\u2028b\u2029c "quoted" \\ back\nslash',
      '😀𝄞 four bytes',
    ];
    const obs = hourly(u.patientId, texts.length).map((o, i) => ({
      ...o,
      code: { ...o.code, text: texts[i] },
    }));
    expect(await t.deps.fhir.store.upsertResources(u.principal, obs)).toMatchObject({
      created: texts.length,
    });
    for (const [i, o] of obs.entries()) {
      expect((await t.deps.fhir.store.readObservation(u.principal, o.id!)).resource.code?.text).toBe(
        texts[i],
      );
    }
    expect(await t.deps.fhir.store.upsertResources(u.principal, obs)).toMatchObject({
      unchanged: texts.length,
    });
  });

  it("refuses an Observation whose subject is not the owner's Patient", async () => {
    const a = await user();
    const b = await user();
    const foreign = makeObservation(b.patientId, { key: 'x', effectiveDateTime: '2024-01-01T00:00:00Z' });
    await expect(t.deps.fhir.store.upsertResources(a.principal, [foreign])).rejects.toMatchObject({
      code: 'UNPROCESSABLE',
    });
  });

  it('writes rows prepared ahead, and builds them again when the owner no longer matches', async () => {
    const a = await user();
    const b = await user();
    const store = t.deps.fhir.store;
    const ownerA = await store.ownerOf(a.principal);
    const obs = hourly(a.patientId, 3);
    const prepared = await store.prepareResources(ownerA, [...obs, obs[0]!]);
    expect(prepared.rows).toHaveLength(3); // the duplicate is dropped, as upsertResources does
    expect(await store.upsertResources(a.principal, prepared)).toMatchObject({ created: 3 });
    expect(await store.upsertResources(a.principal, obs)).toMatchObject({ unchanged: 3 });

    // A daily total without an offset is read in the person's zone: one that changed between
    // prepare and write is the one the stored range uses.
    const steps = makeObservation(a.patientId, { key: 'd', type: 'steps', effectiveDateTime: '2024-03-10' });
    const early = await store.prepareResources(ownerA, [steps]);
    await setUserTimeZone(t.deps.db, a.id, 'America/New_York');
    await store.upsertResources(a.principal, early);
    const row = await t.deps.db
      .selectFrom('fhir_resources')
      .select('effective_start')
      .where('user_id', '=', a.id)
      .where('id', '=', steps.id!)
      .executeTakeFirstOrThrow();
    expect(new Date(row.effective_start as Date).toISOString()).toBe('2024-03-10T05:00:00.000Z');

    // Rows prepared for A and handed in by B are checked against B: refused, nothing written.
    await expect(
      store.upsertResources(b.principal, await store.prepareResources(ownerA, hourly(a.patientId, 1))),
    ).rejects.toMatchObject({ code: 'UNPROCESSABLE' });
  });

  it('erases every resource of a user and only theirs', async () => {
    const a = await user();
    const b = await user();
    await t.deps.fhir.store.upsertResources(a.principal, hourly(a.patientId, 5));
    await t.deps.fhir.store.upsertResources(b.principal, hourly(b.patientId, 3));
    expect(await t.deps.fhir.store.eraseUser(a.principal)).toBe(6); // 5 + Patient
    const left = await queryObservations(t.deps.db, b.id, { sort: '-date', limit: 50 });
    expect(left.rows).toHaveLength(3);
    const gone = await queryObservations(t.deps.db, a.id, { sort: '-date', limit: 50 });
    expect(gone.rows).toHaveLength(0);
  });

  it('pages the health API query by type and [start, end) with a stable keyset', async () => {
    const u = await user();
    await t.deps.fhir.store.upsertResources(u.principal, [
      ...hourly(u.patientId, 48),
      makeObservation(u.patientId, {
        key: 'steps',
        type: 'steps',
        effectiveDateTime: '2024-01-01',
        value: 5000,
      }),
    ]);
    const base = {
      types: ['heart_rate'],
      effectiveFrom: new Date('2024-01-01T12:00:00Z'),
      effectiveTo: new Date('2024-01-02T00:00:00Z'),
      sort: 'date' as const,
      limit: 5,
    };
    const ids: string[] = [];
    let after: { value: string; id: string } | undefined;
    do {
      const page = await queryObservations(t.deps.db, u.id, { ...base, ...(after ? { after } : {}) });
      ids.push(...page.rows.map((r) => r.resource.effectiveDateTime!));
      after = page.next;
    } while (after);
    expect(ids).toHaveLength(12);
    expect(ids[0]).toBe('2024-01-01T12:00:00.000Z');
    expect([...ids].sort()).toEqual(ids);
  });
});

describe("the bulk upsert's column list", () => {
  it('names every column of fhir_resources once (the rest the statement fills itself)', async () => {
    const { rows } = await sql<{ column_name: string }>`
      select column_name from information_schema.columns
      where table_schema = current_schema() and table_name = 'fhir_resources'`.execute(t.deps.db);
    const batch = BATCH_COLUMNS.map((c) => c.name as string);
    expect(new Set(batch).size).toBe(batch.length);
    expect([...batch, 'user_id', 'version_id', 'last_updated', 'resource'].sort()).toEqual(
      rows.map((r) => r.column_name).sort(),
    );
  });
});
