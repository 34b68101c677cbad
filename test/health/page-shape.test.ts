/**
 * The health queries are compiled once per shape (src/db/prepared.ts preparedStatement): for any
 * request, the memoized statement and its filled-in values must equal what Kysely compiles from
 * the values themselves, whether the shape was seen before or not.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEASUREMENT_TYPES, type MeasurementType } from '../../src/fhir/measurement.ts';
import { dayRowsQuery } from '../../src/fhir/store/observation-days.repository.ts';
import type {
  ObservationFilter,
  ObservationKeyset,
  ObservationSort,
} from '../../src/fhir/store/observation-filter.ts';
import {
  keysQuery,
  keysStatement,
  type PageRequest,
  pageQuery,
  pageStatement,
} from '../../src/fhir/store/observation-pages.repository.ts';
import { summarySql, summaryStatement } from '../../src/health/summary.repository.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const instant = fc.date({ min: new Date('2000-01-01'), max: new Date('2040-01-01'), noInvalidDate: true });
const bound = fc.record(
  { instant, date: instant.map((d) => d.toISOString().slice(0, 10)) },
  { requiredKeys: ['instant'] },
);
const filter: fc.Arbitrary<ObservationFilter> = fc.record(
  {
    types: fc.uniqueArray(fc.constantFrom(...MEASUREMENT_TYPES), {
      minLength: 1,
      maxLength: 4,
    }) as fc.Arbitrary<MeasurementType[]>,
    sources: fc.uniqueArray(fc.constantFrom('fitbit', 'withings', 'garmin'), { minLength: 1, maxLength: 3 }),
    from: bound,
    to: bound,
  },
  { requiredKeys: [] },
);
const keyset: fc.Arbitrary<ObservationKeyset> = fc.record({
  startMicros: fc.bigInt({ min: 0n, max: 2n ** 52n }).map(String),
  id: fc.uuid(),
});
const page: fc.Arbitrary<PageRequest> = fc.record(
  {
    sort: fc.constantFrom<ObservationSort>('-date', 'date'),
    limit: fc.integer({ min: 1, max: 500 }),
    after: keyset,
    full: fc.boolean(),
  },
  { requiredKeys: ['sort', 'limit'] },
);

describe('page query compiled per shape', () => {
  it('equals the query compiled from the values, for new and for known shapes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), filter, page, (userId, f, p) => {
        // Twice with other values of the same shape: the second run reuses the first's statement.
        for (const uid of [userId, userId + 1]) {
          const memo = pageStatement.compile(t.deps.db, { userId: uid, filter: f, page: p });
          const direct = pageQuery(t.deps.db, uid, f, p).compile();
          expect(memo.sql).toBe(`/* prepared */ ${direct.sql}`); // marked for executePrepared
          // Dates are filled in as their ISO text (src/db/prepared.ts).
          const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v);
          expect(memo.parameters).toEqual(direct.parameters.map(iso));
          // The pages' key list (`pageKeys`: the same query, aggregated into one text).
          const keysPage = { ...p, full: undefined };
          const keys = keysStatement.compile(t.deps.db, { userId: uid, filter: f, page: keysPage });
          const keysDirect = keysQuery(t.deps.db, uid, f, keysPage).compile();
          expect(keys.sql).toBe(`/* prepared */ ${keysDirect.sql}`);
          expect(keys.parameters).toEqual(keysDirect.parameters.map(iso));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('summary statement compiled per shape', () => {
  it('equals the statement compiled from the values, for new and for known shapes', () => {
    const range = fc.record({ from: bound, to: bound }, { requiredKeys: [] });
    const type = fc.constantFrom(...MEASUREMENT_TYPES);
    const recentUntil = fc.option(
      instant.map((d) => d.toISOString().slice(0, 10)),
      { nil: undefined },
    );
    const scope = fc.constantFrom('group:body', 'group:activity', 'group:vitals');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        type,
        range,
        scope,
        recentUntil,
        (userId, ty, r, groupScope, until) => {
          for (const uid of [userId, userId + 1]) {
            const input = { userId: uid, type: ty, range: r, groupScope, recentUntil: until };
            const memo = summaryStatement.compile(t.deps.db, input);
            const direct = summarySql(t.deps.db, input).compile(t.deps.db);
            expect(memo.sql).toBe(`/* prepared */ ${direct.sql}`);
            // The per-day rows are its first subquery.
            expect(memo.sql).toContain(`from ((${dayRowsQuery(t.deps.db, uid, ty, r).compile().sql})) d`);
            const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v);
            expect(memo.parameters).toEqual(direct.parameters.map(iso));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
