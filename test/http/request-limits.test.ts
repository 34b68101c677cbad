/**
 * Malformed input is a 4xx: JSON nested too deep (400 naming `body`), too many query parameters
 * (400 naming `query`), a body in a media type the route does not take (415), on every route
 * family and in both error envelopes (problem+json, OperationOutcome).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, MAX_QUERY_PARAMS, nestsDeeperThan } from '../../src/http/request-limits.ts';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let auth: { authorization: string };
beforeAll(async () => {
  t = await createTestApp({
    env: { GOOGLE_HEALTH_WEBHOOK_SECRET: 'Bearer webhook-secret-0123456789abcdef' },
  });
  auth = (await registerUser(t.app)).auth;
});
afterAll(async () => t?.close());

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObservation = `{"resourceType":"Observation","status":"final","extension":${nested(10_000)}}`;

describe('JSON nesting depth', () => {
  it('counts brackets outside strings only, escapes included', () => {
    expect(nestsDeeperThan(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(`{"a":"${'['.repeat(500)}"}`, 2)).toBe(false);
    expect(nestsDeeperThan(`{"a":"\\"${'{'.repeat(5)}"}`, 2)).toBe(false);
    expect(nestsDeeperThan(`{"a":"\\\\","b":[[[]]]}`, 3)).toBe(true);
    expect(nestsDeeperThan('{"a":[{"b":[1,2,{"c":"x"}]}]}', 5)).toBe(false);
    expect(nestsDeeperThan('{"a":[{"b":[1,2,{"c":"x"}]}]}', 4)).toBe(true);
    // Every value JSON.parse takes, at random depths, agrees with the real depth.
    for (let depth = 1; depth < 80; depth += 7) {
      const value = JSON.stringify(
        Array.from({ length: depth }).reduce((v: unknown) => ({ k: [v, '[{'] }), 1),
      );
      const real = depth * 2;
      expect(nestsDeeperThan(value, real)).toBe(false);
      expect(nestsDeeperThan(value, real - 1)).toBe(true);
    }
  });

  it('a FHIR write nested 10,000 deep is a 400 OperationOutcome naming the body, not a 500', async () => {
    for (const type of ['application/fhir+json', 'application/json']) {
      for (const url of ['/fhir/Observation', '/fhir/R4/Observation', '/fhir/Condition']) {
        const res = await t.app.inject({
          method: 'POST',
          url,
          headers: { ...auth, 'content-type': type },
          payload: deepObservation,
        });
        expect(res.statusCode, `${url} ${type}`).toBe(400);
        expect(res.headers['content-type']).toContain('application/fhir+json');
        expect(res.json()).toMatchObject({
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'invalid', expression: ['body'] }],
        });
        expect(res.json().issue[0].details.text).toMatch(/^body: must not nest .* more than 64 deep$/);
      }
    }
  });

  it('every other JSON route answers 400 problem+json naming the body', async () => {
    const routes = [
      { url: '/auth/register', headers: {} },
      { url: '/auth/login', headers: {} },
      { url: '/integrations/vendors/select', headers: auth },
      { url: '/vendors/fitbit/sync', headers: auth }, // the mobile scope's own parser
      { url: '/integrations/fitbit/webhook', headers: {} }, // the webhook scope's raw-body parser
    ];
    for (const { url, headers } of routes) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        headers: { ...headers, 'content-type': 'application/json' },
        payload: `{"a":${nested(10_000)}}`,
      });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'body' }] });
    }
  });

  it('a body within the limit is parsed as before', async () => {
    const ok = await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: `{"email":"depth.ok@example.test","password":"correct horse battery","x":${nested(MAX_JSON_DEPTH - 1)}}`,
      headers: { 'content-type': 'application/json' },
    });
    // Past the parser: the schema names the unknown field.
    expect(ok.statusCode).toBe(400);
    expect(ok.json().errors).toEqual([{ field: 'x', message: 'is not an allowed field' }]);
  });
});

describe('query parameter count', () => {
  const params = (n: number) => Array.from({ length: n }, (_, i) => `p${i}=1`).join('&');

  it(`more than ${MAX_QUERY_PARAMS} is a 400 naming the query, in either envelope`, async () => {
    const health = await t.app.inject({
      url: `/health/observations?${params(MAX_QUERY_PARAMS + 1)}`,
      headers: auth,
    });
    expect(health.statusCode).toBe(400);
    expect(health.headers['content-type']).toContain('application/problem+json');
    expect(health.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'query', message: `must not have more than ${MAX_QUERY_PARAMS} parameters` }],
    });

    const fhir = await t.app.inject({ url: `/fhir/Observation?${params(5000)}`, headers: auth });
    expect(fhir.statusCode).toBe(400);
    expect(fhir.json()).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [{ code: 'invalid', expression: ['query'] }],
    });
    // Before authentication too: the count is checked as the request arrives.
    const anonymous = await t.app.inject({ url: `/auth/me?${params(MAX_QUERY_PARAMS + 1)}` });
    expect(anonymous.statusCode).toBe(400);
  });

  it(`${MAX_QUERY_PARAMS} are parsed as before (repeated keys become lists)`, async () => {
    const fhir = await t.app.inject({ url: `/fhir/Observation?${params(MAX_QUERY_PARAMS)}`, headers: auth });
    expect(fhir.statusCode).toBe(200);
    expect(JSON.stringify(fhir.json())).toContain(`p${MAX_QUERY_PARAMS - 1}`); // the ignored-parameters warning
    const repeated = await t.app.inject({
      url: '/health/observations?type=steps&type=heart_rate&limit=5',
      headers: auth,
    });
    expect(repeated.statusCode, repeated.body).toBe(200);
  });
});

describe('media types', () => {
  it('a JSON route given text or a form answers 415 problem+json naming the content type', async () => {
    for (const [type, payload] of [
      ['text/plain', '{"email":"a@example.test","password":"correct horse battery"}'],
      ['application/x-www-form-urlencoded', 'email=a%40example.test&password=correct+horse+battery'],
      ['application/xml', '<a/>'],
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/auth/register',
        headers: { 'content-type': type },
        payload,
      });
      expect(res.statusCode, type).toBe(415);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        errors: [{ field: 'content-type', message: 'must be application/json' }],
      });
    }
  });

  it('a FHIR write given text answers 415 OperationOutcome', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Observation',
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: '{"resourceType":"Observation"}',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [{ code: 'not-supported', expression: ['content-type'] }],
    });
  });

  it('the webhook still takes any text (and refuses it unsigned)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/integrations/fitbit/webhook',
      headers: { authorization: 'Bearer webhook-secret-0123456789abcdef', 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(res.statusCode).toBe(401);
  });
});
