/**
 * Property tests: whatever a client puts in the query string, the health routes answer 200 or
 * 400 with problem+json naming a field, never a 500.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { MEASUREMENT_TYPES } from '../../src/fhir/measurement.ts';
import { decodeCursor, parseRange, parseTypes } from '../../src/health/health.query-parser.ts';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';
import { stepsDays, storeMeasurements } from '../helpers/observations.ts';

let t: TestApp;
let auth: { authorization: string };
beforeAll(async () => {
  t = await createTestApp();
  const u = await registerUser(t.app);
  auth = u.auth;
  await storeMeasurements(t, u.id, stepsDays('2026-01-01', 5));
});
afterAll(async () => t?.close());

const dateLike = fc.oneof(
  fc.string(),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc
    .tuple(
      fc.integer({ min: 0, max: 10_000 }),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 99 }),
    )
    .map(
      ([y, m, d]) =>
        `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
    ),
  fc.constantFrom(
    '2026-02-30',
    '2026-02-29T24:00:00Z',
    '2026-03-01T10:00:00+15:00',
    '-infinity',
    '9999-12-31T23:59:59-14:00',
  ),
);
const typeLike = fc.oneof(
  fc.string(),
  fc.constantFrom(...MEASUREMENT_TYPES),
  fc.array(fc.constantFrom(...MEASUREMENT_TYPES, 'x')).map((a) => a.join(',')),
);
const param = (name: string, value: fc.Arbitrary<string>) =>
  fc.option(
    value.map((v) => `${name}=${encodeURIComponent(v)}`),
    { nil: undefined },
  );

const queryArb = fc
  .tuple(
    param('type', typeLike),
    param('type', typeLike),
    param('start', dateLike),
    param('end', dateLike),
    param('limit', fc.oneof(fc.string(), fc.integer().map(String), fc.double().map(String))),
    param(
      'cursor',
      fc.oneof(
        fc.string(),
        fc.base64String(),
        fc.string().map((s) => Buffer.from(`h1|-date|${s}`).toString('base64url')),
      ),
    ),
    param('sort', fc.oneof(fc.string(), fc.constantFrom('date', '-date'))),
    param('source', fc.string()),
    param(fc.sample(fc.string({ minLength: 1, maxLength: 8 }), 1)[0] ?? 'x', fc.string()),
  )
  .map((parts) => parts.filter((p): p is string => p !== undefined).join('&'));

async function expectNo500(url: string): Promise<void> {
  const res = await t.app.inject({ url, headers: auth });
  expect(res.statusCode, `${url} -> ${res.body}`).toBeLessThan(500);
  if (res.statusCode === 400) {
    const body = res.json() as { errors?: { field: string }[]; code: string };
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.errors?.length, url).toBeGreaterThan(0);
  } else expect([200, 404], url).toContain(res.statusCode);
}

describe('health query parsing never answers 500', () => {
  it('GET /health/observations', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(queryArb, (q) => expectNo500(`/health/observations?${q}`)),
      { numRuns: 300 },
    );
  });

  it('GET /health/summary and /health/export', { timeout: 120_000 }, async () => {
    const extra = fc.tuple(
      queryArb,
      fc.constantFrom('day', 'week', 'month', 'year', ''),
      fc.constantFrom('csv', 'ndjson', 'bundle', 'x'),
    );
    await fc.assert(
      fc.asyncProperty(extra, async ([q, bucket, format]) => {
        const noPaging = q.replace(/(^|&)(limit|cursor)=[^&]*/g, '');
        await expectNo500(`/health/summary?${noPaging}&bucket=${bucket}`);
        await expectNo500(`/health/export?${noPaging}&format=${format}`);
      }),
      { numRuns: 150 },
    );
  });

  it('the parsers throw only AppError 400s, and accept every valid date', () => {
    const onlyAppErrors = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).status).toBe(400);
      }
    };
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (a, b, c) => {
        onlyAppErrors(() => parseTypes([a, b]));
        onlyAppErrors(() => parseRange({ start: a, end: b }, 'Europe/Berlin'));
        onlyAppErrors(() => decodeCursor(c, '-date'));
      }),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }),
        (d) => {
          const day = d.toISOString().slice(0, 10);
          expect(parseRange({ start: day, end: d.toISOString() }, 'UTC').from?.date).toBe(day);
        },
      ),
    );
  });
});
