/**
 * The health API's queries are driven by the (user_id, type, effective_start desc, id desc) index:
 * EXPLAIN over a year of hourly heart rate and daily totals for several people, after ANALYZE.
 */
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayRowsQuery } from '../../src/fhir/store/observation-days.repository.ts';
import { pageQuery } from '../../src/fhir/store/observation-pages.repository.ts';
import { parseRange } from '../../src/health/health.query-parser.ts';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';
import { heartRateHour, steps, storeMeasurements } from '../helpers/observations.ts';

let t: TestApp;
let userId: number;
beforeAll(async () => {
  t = await createTestApp();
  const users = [await registerUser(t.app), await registerUser(t.app), await registerUser(t.app)];
  userId = users[0]!.id;
  for (const u of users) {
    const [hr] = await storeMeasurements(t, u.id, [
      heartRateHour('2025-01-01T00:00:00+00:00', 70),
      steps('2025-01-01', 1),
    ]);
    // A year of hourly windows and daily steps, copied from the stored rows (distinct ids).
    await sql`
      insert into fhir_resources (resource_type, id, user_id, identifier, type, code, code_system, category,
        effective_start, effective_end, local_date, status, source_vendor, version_id, last_updated, content_hash, resource)
      select resource_type, id || '-' || i, user_id, identifier || '-' || i, type, code, code_system, category,
        effective_start + i * (case when type = 'steps' then interval '1 day' else interval '1 hour' end),
        effective_end + i * (case when type = 'steps' then interval '1 day' else interval '1 hour' end),
        (effective_start + i * (case when type = 'steps' then interval '1 day' else interval '1 hour' end))::date,
        status, source_vendor, version_id, last_updated, content_hash, resource
      from fhir_resources, generate_series(1, 8759) as i
      where user_id = ${u.id} and resource_type = 'Observation' and (type = 'heart_rate' or i < 365)
    `.execute(t.deps.db);
    expect(hr).toBeDefined();
  }
  // As autovacuum leaves it after a bulk insert: statistics and the visibility map.
  await sql`vacuum analyze fhir_resources`.execute(t.deps.db);
  await sql`analyze observation_days`.execute(t.deps.db);
}, 120_000);
afterAll(async () => t?.close());

async function plan(query: { compile(): CompiledQuery }): Promise<string> {
  const c = query.compile();
  const res = await t.deps.db.executeQuery(CompiledQuery.raw(`explain ${c.sql}`, [...c.parameters]));
  return (res.rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
}

describe('EXPLAIN of the health queries', () => {
  it('a page of one type in a date range scans fhir_resources_type_date, no sort', async () => {
    const range = parseRange({ start: '2025-03-01', end: '2025-04-01' }, 'UTC');
    const text = await plan(
      pageQuery(t.deps.db, userId, { types: ['heart_rate'], ...range }, { sort: '-date', limit: 50 }),
    );
    expect(text).toContain('fhir_resources_type_date');
    expect(text).not.toMatch(/Seq Scan|Sort\b/);
  });

  it('a page reads ids and content hashes from the index alone (no heap page per row)', async () => {
    const range = parseRange({ start: '2025-03-01', end: '2025-04-01' }, 'UTC');
    for (const types of [['heart_rate'], ['heart_rate', 'steps']] as const) {
      const text = await plan(
        pageQuery(t.deps.db, userId, { types: [...types], ...range }, { sort: '-date', limit: 50 }),
      );
      expect(text).toContain('Index Only Scan');
      expect(text).not.toMatch(/Seq Scan|Bitmap|(?<!Only )Index Scan/);
    }
  });

  it('a page of several types merges one ordered scan per type: no sort, no scan of the whole range', async () => {
    const range = parseRange({ start: '2025-01-01', end: '2026-01-01' }, 'UTC');
    for (const sort of ['-date', 'date'] as const) {
      const after = { startMicros: String(Date.parse('2025-06-15T00:00:00Z') * 1000), id: 'm' };
      for (const extra of [{}, { after }]) {
        const text = await plan(
          pageQuery(
            t.deps.db,
            userId,
            { types: ['heart_rate', 'steps'], ...range },
            { sort, limit: 50, ...extra },
          ),
        );
        expect(text, sort).toContain('Merge Append');
        expect(text, sort).toContain('fhir_resources_type_date');
        expect(text, sort).not.toMatch(/Seq Scan|Sort {2}\(/);
      }
    }
  });

  it('the next page (keyset) too, in both orders', async () => {
    const range = parseRange({ start: '2025-03-01T00:00:00Z', end: '2025-04-01T00:00:00Z' }, 'UTC');
    for (const sort of ['-date', 'date'] as const) {
      const after = { startMicros: String(Date.parse('2025-03-15T00:00:00Z') * 1000), id: 'm' };
      const text = await plan(
        pageQuery(t.deps.db, userId, { types: ['heart_rate'], ...range }, { sort, after, limit: 50 }),
      );
      expect(text, sort).toContain('fhir_resources_type_date');
      expect(text, sort).not.toMatch(/Seq Scan|Sort\b/);
    }
  });

  it('a summary over a year of local days reads the per-day rollup by its key', async () => {
    const range = parseRange({ start: '2025-01-01', end: '2026-01-01' }, 'UTC');
    const text = await plan(dayRowsQuery(t.deps.db, userId, 'heart_rate', range));
    expect(text).toContain('observation_days');
    expect(text).not.toContain('fhir_resources');
    expect(text).not.toContain('Seq Scan');
  });

  it('a summary bounded by instants uses the index to find the rows', async () => {
    const range = parseRange({ start: '2025-01-01T06:00:00Z', end: '2026-01-01T00:00:00Z' }, 'UTC');
    const text = await plan(dayRowsQuery(t.deps.db, userId, 'steps', range));
    expect(text).toMatch(/fhir_resources_type_date|fhir_resources_code_date/);
    expect(text).not.toContain('Seq Scan');
  });
});
