/**
 * The OpenAPI document's conventions, applied to every route in one place (@fastify/swagger's
 * `transform` and `transformObject`), so that a route file states only what is special to it:
 *
 *   documentRoute   -> each operation gets the error responses it can give (400 on any, 401 when
 *                      protected, 404 on a path id, 413/415 on a body, 429 when rate limited, 500,
 *                      and those of the route's `config.errors`),
 *                      as application/problem+json, or OperationOutcome as application/fhir+json
 *                      under /fhir; FHIR bodies and answers as application/fhir+json; 302 with Location
 *   finishDocument  -> unions of literals as `enum`, `x-enum` (values checked by the service) as `enum`,
 *                      parameters and body fields with a default not required
 *
 * Only the document changes: the routes' own schemas (validation, serialization) are left alone.
 */
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import Type from 'typebox';
import { type ErrorCode, errorCatalog } from '../errors.ts';
import { ProblemSchema, problem } from './problem.ts';

/** One tag per area; every route names one of these. */
export const OPENAPI_TAGS = [
  { name: 'Accounts', description: 'Register, sign in, tokens, the account, its audit trail and erasure' },
  {
    name: 'Health data',
    description: 'Observations of every vendor in one shape, summaries, exports, and syncs from the vendors',
  },
  {
    name: 'Vendor integrations',
    description: 'Connecting a vendor account (OAuth), its status, disconnecting, and the vendor webhook',
  },
  {
    name: 'Webhooks',
    description: 'The person’s own webhook endpoints: signed (Standard Webhooks) POSTs of their events',
  },
  {
    name: 'Notices',
    description: 'What the person should know about a connection that stopped working, until it works again',
  },
  { name: 'PHR-App', description: 'The calls of the PHR mobile app that have no other home' },
  {
    name: 'FHIR R4',
    description:
      'The person’s data as FHIR R4 resources. Listed under /fhir, where Observations are in the view the mobile app reads; every operation is also served under /fhir/R4 in canonical R4 form. Bodies and answers are application/fhir+json (application/json is accepted both ways); errors are OperationOutcome.',
  },
  { name: 'Operations', description: 'Liveness, readiness and metrics (public)' },
];

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Error statuses a route gives beyond the standard ones, for the OpenAPI document only (a
     * response schema would also drive serialization, and FHIR errors are not problem+json).
     */
    errors?: readonly number[];
  }
}

const PROBLEM_JSON = 'application/problem+json';
const FHIR_JSON = 'application/fhir+json';

/** A FHIR error answer (src/fhir/api/outcome.ts). */
export const OperationOutcomeSchema = Type.Object(
  {
    resourceType: Type.Literal('OperationOutcome'),
    issue: Type.Array(
      Type.Object({
        severity: Type.String(),
        code: Type.String(),
        details: Type.Optional(Type.Object({ text: Type.String() })),
        expression: Type.Optional(Type.Array(Type.String())),
      }),
    ),
  },
  { description: 'FHIR OperationOutcome' },
);

/** The typical error of each status, for the examples. */
const STANDARD: Record<
  number,
  { code: ErrorCode; detail: string; issue: string; field?: string; fhirDetail?: string }
> = {
  400: { code: 'VALIDATION_FAILED', detail: 'limit: must be <= 500', issue: 'invalid', field: 'limit' },
  401: { code: 'UNAUTHENTICATED', detail: 'Missing bearer token', issue: 'login' },
  403: { code: 'FORBIDDEN', detail: 'Not allowed', issue: 'forbidden' },
  404: { code: 'NOT_FOUND', detail: 'Resource not found', issue: 'not-found' },
  409: { code: 'CONFLICT', detail: 'Conflict', issue: 'conflict' },
  413: { code: 'PAYLOAD_TOO_LARGE', detail: 'Request body is too large', issue: 'too-long' },
  415: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: 'content-type: this body must be sent as application/json',
    issue: 'not-supported',
    field: 'content-type',
  },
  422: {
    code: 'UNKNOWN_VENDOR',
    detail: 'vendor: is not available',
    issue: 'processing',
    field: 'vendor',
    fhirDetail: 'Observation.subject is not the owner’s Patient',
  },
  429: { code: 'RATE_LIMITED', detail: 'Rate limit exceeded, retry in 1 minute', issue: 'throttled' },
  500: { code: 'INTERNAL', detail: 'An unexpected error occurred', issue: 'exception' },
  502: { code: 'VENDOR_UNAVAILABLE', detail: 'Vendor is unavailable', issue: 'exception' },
  503: { code: 'JOBS_UNAVAILABLE', detail: 'Background jobs unavailable', issue: 'exception' },
};

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is not valid (the field is named in `errors`)',
  401: 'Missing, expired or revoked bearer token',
  403: 'Not allowed',
  404: 'Not found (or not yours)',
  409: 'Conflict with the current state',
  413: 'Request body too large',
  415: 'The body is not sent as JSON',
  422: 'The request cannot be processed',
  429: 'Too many requests (see the Retry-After header)',
  500: 'Unexpected error (no internals in the answer)',
  502: 'A vendor failed',
  503: 'A dependency is unavailable (see the Retry-After header when present)',
};

/** The problem schema inline, without the `$id` that registers it for the routes. */
const { $id: problemId, ...problemSchema } = ProblemSchema as typeof ProblemSchema & { $id: string };

export function errorResponse(status: number, fhir: boolean): Record<string, unknown> {
  const std = STANDARD[status] ?? STANDARD[500]!;
  const description = DESCRIPTIONS[status] ?? 'Error';
  if (fhir) {
    const example = {
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: std.issue,
          details: { text: std.fhirDetail ?? std.detail },
          ...(std.field && !std.fhirDetail ? { expression: [std.field] } : {}),
        },
      ],
    };
    return { description, content: { [FHIR_JSON]: { schema: copy(OperationOutcomeSchema), example } } };
  }
  const errors = std.field ? [{ field: std.field, message: std.detail.split(': ')[1] ?? std.detail }] : [];
  const example = {
    ...problem(std.code, status, errorCatalog[std.code].title, std.detail, errors),
    instance: '5d0c3e1e-6f1e-4c55-9d43-0b6f1f3c2a10',
  };
  return { description, content: { [PROBLEM_JSON]: { schema: copy(problemSchema), example } } };
}

/** A plain copy: the document is rewritten in place, and never through the routes' own schemas. */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

interface RouteSchema {
  hide?: boolean;
  security?: unknown[];
  querystring?: unknown;
  params?: unknown;
  body?: unknown;
  produces?: string[];
  consumes?: string[];
  response?: Record<string, unknown>;
  [key: string]: unknown;
}

function isProblem(schema: unknown): boolean {
  return (schema as { $id?: string } | undefined)?.$id === problemId;
}

type Transform = NonNullable<FastifyDynamicSwaggerOptions['transform']>;

export const documentRoute: Transform = ({ schema, url, route }) => {
  const s = schema as RouteSchema | undefined;
  if (!s || s.hide) return { schema, url };
  const fhir = url === '/fhir' || url.startsWith('/fhir/');
  const protectedRoute = (s.security?.length ?? 0) > 0;
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(s.response ?? {})) {
    responses[status] =
      Number(status) >= 400 && isProblem(response)
        ? errorResponse(Number(status), fhir)
        : status === '302'
          ? {
              type: 'null',
              description: (response as { description?: string }).description ?? 'Redirect',
              headers: { location: { type: 'string', description: 'Where to go next' } },
            }
          : response;
  }
  const add = (status: number) => {
    responses[status] ??= errorResponse(status, fhir);
  };
  // Any request can be a 400: too many query parameters are refused before routing (request-limits.ts).
  add(400);
  if (protectedRoute) add(401);
  if (s.params && (protectedRoute || fhir)) add(404);
  if (s.body) {
    add(413);
    add(415);
  }
  const config = route.config as { rateLimit?: unknown; errors?: readonly number[] } | undefined;
  if (config?.rateLimit) add(429);
  for (const status of config?.errors ?? []) add(status);
  add(500);
  const sorted = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
  return {
    url,
    schema: {
      ...s,
      response: sorted,
      ...(fhir ? { produces: s.produces ?? [FHIR_JSON, 'application/json'] } : {}),
      ...(fhir && s.body ? { consumes: s.consumes ?? [FHIR_JSON, 'application/json'] } : {}),
    },
  } as ReturnType<Transform>;
};

type Json = Record<string, unknown>;

/** A union of single-value enums (TypeBox's union of literals) as one `enum`. */
function simplify(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) simplify(item);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const o = node as Json;
  for (const value of Object.values(o)) simplify(value);
  if (Array.isArray(o['x-enum'])) {
    o.enum = o['x-enum'];
    delete o['x-enum'];
  }
  const anyOf = o.anyOf as Json[] | undefined;
  if (Array.isArray(anyOf) && anyOf.length > 0) {
    const literal = (b: Json) =>
      Array.isArray(b.enum) &&
      b.enum.length === 1 &&
      Object.keys(b).every((k) => k === 'type' || k === 'enum');
    if (anyOf.every(literal) && new Set(anyOf.map((b) => b.type)).size === 1) {
      delete o.anyOf;
      o.type = anyOf[0]!.type;
      o.enum = anyOf.map((b) => (b.enum as unknown[])[0]);
    }
  }
  // A field with a default may be left out.
  if (o.type === 'object' && Array.isArray(o.required) && o.properties) {
    const props = o.properties as Record<string, Json>;
    const required = (o.required as string[]).filter((k) => props[k]?.default === undefined);
    if (required.length > 0) o.required = required;
    else delete o.required;
  }
}

interface Operation {
  parameters?: { required?: boolean; schema?: Json }[];
}

export const finishDocument: NonNullable<FastifyDynamicSwaggerOptions['transformObject']> = (doc) => {
  const object = copy(('openapiObject' in doc ? doc.openapiObject : doc.swaggerObject) as Json);
  simplify(object);
  const paths = (object.paths ?? {}) as Record<string, Record<string, Operation>>;
  for (const ops of Object.values(paths)) {
    for (const op of Object.values(ops)) {
      for (const p of op.parameters ?? []) if (p.schema?.default !== undefined) p.required = false;
    }
  }
  return object;
};
