/**
 * Health pages run as named prepared statements on a PostgreSQL server: planned with their values
 * a few times, then by a generic plan that still uses the (user, type, date) index; the rows are the
 * same either way. On PGlite the marker is only a comment.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { executePrepared, preparingQuery } from '../../src/db/prepared.ts';
import { pageObservations, pageQuery } from '../../src/fhir/store/observation-pages.repository.ts';
import { parseRange } from '../../src/health/health.query-parser.ts';
import { createTestApp, registerUser, type TestApp, testDatabaseUrl } from '../helpers/app.ts';
import { heartRateHour, stepsDays, storeMeasurements } from '../helpers/observations.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

describe('prepared health pages', () => {
  it('give the same rows as the unprepared query, page after page', async () => {
    const u = await registerUser(t.app);
    await storeMeasurements(t, u.id, [
      ...stepsDays('2025-01-01', 40),
      ...Array.from({ length: 30 }, (_, h) =>
        heartRateHour(`2025-01-02T${String(h % 24).padStart(2, '0')}:00:00+00:00`, 60),
      ),
    ]);
    const filter = {
      types: ['steps', 'heart_rate'] as const,
      ...parseRange({ start: '2025-01-01', end: '2025-03-01' }, 'UTC'),
    };
    for (let i = 0; i < 8; i += 1) {
      const page = { sort: '-date' as const, limit: 5 + i };
      const prepared = await pageObservations(t.deps.db, u.id, { ...filter, types: [...filter.types] }, page);
      const plain = await pageQuery(t.deps.db, u.id, { ...filter, types: [...filter.types] }, page).execute();
      expect(prepared.resources.map((r) => r.id)).toEqual(plain.slice(0, page.limit).map((r) => r.id));
    }
  });

  it.skipIf(!testDatabaseUrl)(
    'run as named statements and settle on a generic plan on a server',
    async () => {
      const schema = `t_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      const handle = await openDatabase({ url: testDatabaseUrl, schema, poolSize: 1 });
      try {
        await migrateToLatest(handle.db);
        const query = handle.db
          .selectFrom('fhir_resources')
          .select('id')
          .where('user_id', '=', 1)
          .where(sql<boolean>`resource_type = 'Observation'`)
          .where('type', '=', 'steps')
          .orderBy('effective_start', 'desc')
          .limit(10);
        for (let i = 0; i < 8; i += 1) await executePrepared(handle.db, query);
        const { rows } = await sql<{
          name: string;
          statement: string;
          generic_plans: number;
          custom_plans: number;
        }>`
        select name, statement, generic_plans::int, custom_plans::int from pg_prepared_statements`.execute(
          handle.db,
        );
        const mine = rows.filter((r) => r.statement.includes('fhir_resources'));
        expect(mine).toHaveLength(1);
        expect(mine[0]?.name).toMatch(/^p_[0-9a-f]{40}$/);
        expect((mine[0]?.generic_plans ?? 0) + (mine[0]?.custom_plans ?? 0)).toBe(8);
        expect(mine[0]?.generic_plans).toBeGreaterThan(0);
      } finally {
        await sql`drop schema ${sql.id(schema)} cascade`.execute(handle.db);
        await handle.close();
      }
    },
  );

  it('names only marked statements with values, and at most 200 per connection', () => {
    const calls: unknown[][] = [];
    const query = preparingQuery((...args) => calls.push(args));
    query('select 1');
    query('/* prepared */ select $1', [1]);
    expect(calls[0]).toEqual(['select 1']);
    expect(calls[1]?.[0]).toMatchObject({ text: '/* prepared */ select $1', values: [1] });
    for (let i = 0; i < 250; i += 1) query(`/* prepared */ select ${i}, $1`, [i]);
    const named = calls.filter((c) => typeof c[0] === 'object').length;
    expect(named).toBe(200);
  });
});
