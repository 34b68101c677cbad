// Upgrading a store written by 0003 (resource as jsonb) to 0006 (resource as text, value and daily
// columns): rows keep their content, get the two columns backfilled, and stay readable and
// searchable; a re-sync of the same content is still a no-op.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUser } from '../../../src/auth/auth.repository.ts';
import { type DatabaseHandle, openDatabase } from '../../../src/db/database.ts';
import { migrateTo, migrateToLatest } from '../../../src/db/migrate.ts';
import { toObservation } from '../../../src/fhir/observation.mapper.ts';
import { createFhirStore } from '../../../src/fhir/store/fhir.service.ts';
import { toResourceRow } from '../../../src/fhir/store/resource-row.ts';
import { summarize } from '../../../src/health/health.service.ts';
import { testDatabaseUrl } from '../../helpers/app.ts';
import { heartRateHour, steps } from '../../helpers/observations.ts';

const schema = testDatabaseUrl ? `m6_${randomUUID().replaceAll('-', '').slice(0, 16)}` : undefined;
let handle: DatabaseHandle;

beforeAll(async () => {
  handle = await openDatabase({ url: testDatabaseUrl, schema, poolSize: 2 });
});
afterAll(async () => {
  if (schema) await sql`drop schema ${sql.id(schema)} cascade`.execute(handle.db);
  await handle?.close();
});

describe('migration 0006 (resource as text)', () => {
  it('backfills value and daily, keeps every resource readable, and re-sync stays a no-op', async () => {
    await migrateTo(handle.db, '0005_audit');
    const user = await insertUser(handle.db, {
      email: `m6-${randomUUID()}@example.test`,
      name: 'm6',
      passwordHash: null,
      externalSubject: null,
      fhirPatientId: randomUUID(),
    });
    if (!user) throw new Error('no user');
    const now = new Date('2026-09-10T00:00:00Z');
    const ctx = { patientId: user.fhir_patient_id, now, sourceUri: 'https://health.googleapis.com/v4/test' };
    const observations = [
      steps('2026-08-29', 8123),
      steps('2026-08-30', 9000),
      heartRateHour('2026-08-29T10:00:00+05:30', 72),
    ].map((m) => toObservation(m, ctx));
    // Written as 0003's store wrote them: the JSON cast to jsonb.
    for (const obs of observations) {
      const row = toResourceRow(obs as Parameters<typeof toResourceRow>[0], { userId: user.id, zone: 'UTC' });
      await sql`insert into fhir_resources (resource_type, id, user_id, identifier, type, code, code_system,
          category, effective_start, effective_end, local_date, status, source_vendor, version_id, last_updated,
          content_hash, resource)
        values (${row.resource_type}, ${row.id}, ${user.id}, ${row.identifier}, ${row.type}, ${row.code},
          ${row.code_system}, ${row.category}, ${row.effective_start}::timestamptz, ${row.effective_end}::timestamptz,
          ${row.local_date}::date, ${row.status}, ${row.source_vendor}, 1, ${now}, ${row.content_hash},
          ${row.json}::jsonb)`.execute(handle.db);
    }

    await migrateToLatest(handle.db);

    const rows = await handle.db
      .selectFrom('fhir_resources')
      .select(['type', 'value', 'daily', 'resource'])
      .where('user_id', '=', user.id)
      .orderBy('type')
      .orderBy('local_date')
      .execute();
    expect(rows.map((r) => [r.type, r.value, r.daily])).toEqual([
      ['heart_rate', observations[2]?.valueQuantity?.value, false],
      ['steps', 8123, true],
      ['steps', 9000, true],
    ]);
    expect(typeof rows[0]?.resource).toBe('string');

    const store = createFhirStore({
      db: handle.db,
      clock: { now: () => now },
      replicate: false,
      defaultTimeZone: 'UTC',
    });
    const principal = { userId: user.id };
    const read = await store.readObservation(principal, observations[0]!.id!);
    expect(read?.resource.valueQuantity).toEqual(observations[0]?.valueQuantity);
    const again = await store.upsertResources(principal, observations);
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    const buckets = await summarize(handle.db, user.id, 'steps', {}, 'day', '2026-09-01');
    expect(buckets.map((b) => [b.bucket, b.sum])).toEqual([
      ['2026-08-29', 8123],
      ['2026-08-30', 9000],
    ]);
  });
});
