/**
 * Validation errors people can act on: a bad enum lists the allowed values (from the schema), and
 * every field is named as the caller sent it: a query or path parameter by its name, a body field
 * by its JSON path, the whole body as `body`.
 */
import { Ajv } from 'ajv';
import Type from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AjvLikeError, toFieldErrors } from '../../src/http/validation.ts';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';

function errorsOf(schema: object, value: unknown, context = 'body'): ReturnType<typeof toFieldErrors> {
  const validate = new Ajv({ allErrors: false, strict: false, verbose: true }).compile(schema);
  expect(validate(value)).toBe(false);
  return toFieldErrors(validate.errors as AjvLikeError[], context);
}

describe('toFieldErrors', () => {
  const Status = Type.Union([Type.Literal('final'), Type.Literal('amended')]);

  it('collapses a union of literals into one "must be one of", nested unions and enums too', () => {
    expect(errorsOf(Type.Object({ status: Status }), { status: 'x' })).toEqual([
      { field: 'status', message: 'must be one of final, amended' },
    ]);
    const Nested = Type.Union([Status, Type.Literal('idle'), Type.Literal(3)]);
    expect(errorsOf(Type.Object({ s: Nested }), { s: 'x' })).toEqual([
      { field: 's', message: 'must be one of final, amended, idle, 3' },
    ]);
    expect(errorsOf(Type.Object({ e: Type.Enum(['a', 'b']) }), { e: 'x' })).toEqual([
      { field: 'e', message: 'must be one of a, b' },
    ]);
    expect(errorsOf(Type.Object({ one: Type.Literal('only') }), { one: 'x' })).toEqual([
      { field: 'one', message: 'must be only' },
    ]);
  });

  it('names body fields by their JSON path, list items by index', () => {
    const Body = Type.Object({
      valueQuantity: Type.Object({ value: Type.Number() }),
      entry: Type.Optional(Type.Array(Type.Object({ resource: Type.Object({ status: Status }) }))),
    });
    expect(errorsOf(Body, { valueQuantity: { value: 'x' } })).toEqual([
      { field: 'valueQuantity.value', message: 'must be number' },
    ]);
    expect(
      errorsOf(Body, { valueQuantity: { value: 1 }, entry: [{ resource: { status: 'final' } }, {}] }),
    ).toEqual([{ field: 'entry[1].resource', message: 'is required' }]);
    expect(errorsOf(Body, [])).toEqual([{ field: 'body', message: 'must be object' }]);
    expect(errorsOf(Type.Object({ 'a/b': Type.Number() }), { 'a/b': 'x' })).toEqual([
      { field: 'a/b', message: 'must be number' },
    ]);
  });

  it('names query, path and header parameters without the part’s name', () => {
    const Q = Type.Object({ limit: Type.Integer() }, { additionalProperties: false });
    expect(errorsOf(Q, { limit: 1, foo: 1 }, 'querystring')).toEqual([
      { field: 'foo', message: 'is not an allowed parameter' },
    ]);
    expect(errorsOf(Q, {}, 'querystring')).toEqual([{ field: 'limit', message: 'is required' }]);
    expect(errorsOf(Type.Object({ id: Type.String({ minLength: 3 }) }), { id: 'x' }, 'params')).toEqual([
      { field: 'id', message: 'must NOT have fewer than 3 characters' },
    ]);
    expect(errorsOf(Type.Object({ 'x-api-version': Type.Literal('2') }), {}, 'headers')).toEqual([
      { field: 'x-api-version', message: 'is required' },
    ]);
    expect(errorsOf(Type.Object({}), 'x', 'querystring')).toEqual([
      { field: 'query', message: 'must be object' },
    ]);
  });

  it('joins the reasons of a union that is not all literals', () => {
    const S = Type.Object({ n: Type.Union([Type.String(), Type.Null()]) });
    expect(errorsOf(S, { n: 1 })).toEqual([{ field: 'n', message: 'must be string or must be null' }]);
  });
});

describe('validation errors over HTTP', () => {
  let t: TestApp;
  let auth: { authorization: string };
  beforeAll(async () => {
    t = await createTestApp();
    auth = (await registerUser(t.app)).auth;
  });
  afterAll(async () => t?.close());

  const get = (url: string) => t.app.inject({ url, headers: auth });

  it('a bad enum lists the allowed values, once', async () => {
    const res = await get('/health/export?format=xml');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      detail: 'format: must be one of csv, ndjson, bundle',
      errors: [{ field: 'format', message: 'must be one of csv, ndjson, bundle' }],
    });
    expect((await get('/health/summary?type=steps&bucket=year')).json()).toMatchObject({
      detail: 'bucket: must be one of day, week, month',
    });
    expect((await get('/health/observations?sort=up')).json().errors).toEqual([
      { field: 'sort', message: 'must be one of -date, date' },
    ]);
  });

  it('query, path and body fields are named as the caller sent them', async () => {
    expect((await get('/health/observations?limit=abc')).json().errors).toEqual([
      { field: 'limit', message: 'must be integer' },
    ]);
    expect((await get('/health/observations?colour=red')).json().errors).toEqual([
      { field: 'colour', message: 'is not an allowed parameter' },
    ]);
    expect((await get('/health/summary')).json().errors).toEqual([{ field: 'type', message: 'is required' }]);
    const del = await t.app.inject({
      method: 'DELETE',
      url: '/integrations/vendors/not-a-uuid',
      headers: auth,
    });
    expect(del.json().errors).toEqual([{ field: 'id', message: 'must match format "uuid"' }]);
    const register = await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: 'fields@example.test' },
    });
    expect(register.json()).toMatchObject({
      detail: 'password: is required',
      errors: [{ field: 'password', message: 'is required' }],
    });
  });

  it('FHIR routes carry the same field names as OperationOutcome expressions', async () => {
    const res = await get('/fhir/Condition/not%20an%20id');
    expect(res.statusCode).toBe(400);
    expect(res.json().issue[0]).toMatchObject({ code: 'invalid', expression: ['id'] });
  });
});
