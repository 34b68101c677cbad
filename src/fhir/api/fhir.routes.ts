/**
 * FHIR R4 routes, mounted at `/fhir/R4` and at `/fhir` (the PHR app's base, served the app view).
 *
 *   fhirPublicRoutes(app, { baseUrl })        -> GET metadata (public), OperationOutcome 404s
 *   fhirProtectedRoutes(scope, { api, baseUrl }) -> reads and Observation search, inside the auth scope
 *   (the writes, Observation and Condition, are fhirWriteRoutes in src/fhir/writes, on the same mounts)
 *
 * Answers are application/fhir+json (application/json when that is all the client accepts);
 * errors are OperationOutcome (registerFhirErrors on each FHIR scope).
 */
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { principalOf } from '../../http/auth-hook.ts';
import { capabilityStatement } from './capability.ts';
import type { FhirApi, ReadableType } from './fhir-api.service.ts';
import { FHIR_JSON, outcome, registerFhirErrors, sendFhir } from './outcome.ts';

export const FHIR_MOUNTS = [
  { prefix: '/fhir/R4', appView: false },
  { prefix: '/fhir', appView: true },
] as const;

const tags = ['FHIR R4'];
const security = [{ bearerAuth: [] }];
const IdParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9\\-.]{1,64}$' }) });
const LooseQuery = Type.Object({}, { additionalProperties: true });
const FhirResource = Type.Object(
  { resourceType: Type.String() },
  { additionalProperties: true, description: 'A FHIR R4 resource (application/fhir+json)' },
);

export async function fhirPublicRoutes(app: FastifyInstance, opts: { baseUrl: string; startedAt: Date }) {
  for (const mount of FHIR_MOUNTS) {
    await app.register(
      async (scope) => {
        registerFhirErrors(scope);
        scope.get(
          '/metadata',
          { schema: { tags, summary: 'CapabilityStatement', response: { 200: FhirResource } } },
          async (req, reply) =>
            sendFhir(
              req,
              reply,
              capabilityStatement(`${opts.baseUrl}${mount.prefix}`, opts.startedAt.toISOString()),
            ),
        );
        scope.setNotFoundHandler((req, reply) =>
          reply
            .code(404)
            .type(FHIR_JSON)
            .send(
              outcome(
                'error',
                'not-supported',
                `No FHIR interaction for ${req.method} ${req.url.split('?')[0]}`,
              ),
            ),
        );
      },
      { prefix: mount.prefix },
    );
  }
}

export async function fhirProtectedRoutes(scope: FastifyInstance, opts: { api: FhirApi; baseUrl: string }) {
  const { api } = opts;
  for (const mount of FHIR_MOUNTS) {
    const base = `${opts.baseUrl}${mount.prefix}`;
    await scope.register(
      async (fhir) => {
        registerFhirErrors(fhir);
        const readRoute = (type: ReadableType) =>
          fhir.get<{ Params: Static<typeof IdParams> }>(
            `/${type}/:id`,
            {
              config: { audit: `fhir.${type}.read` as const },
              schema: {
                tags,
                security,
                summary: `Read a ${type}`,
                params: IdParams,
                response: { 200: FhirResource },
              },
            },
            async (req, reply) => {
              const found = await api.read(principalOf(req), type, req.params.id, mount.appView);
              const etag = `W/"${found.versionId}"`;
              reply.header('etag', etag).header('last-modified', found.lastUpdated.toUTCString());
              if (req.headers['if-none-match'] === etag) return reply.code(304).send();
              return sendFhir(req, reply, found.resource);
            },
          );
        readRoute('Patient');
        readRoute('Observation');
        readRoute('Device');
        fhir.get<{ Querystring: Record<string, unknown> }>(
          '/Observation',
          {
            config: { audit: 'fhir.Observation.search' },
            schema: {
              tags,
              security,
              summary: 'Search Observations (searchset Bundle)',
              querystring: LooseQuery,
              response: { 200: FhirResource },
            },
          },
          async (req, reply) =>
            sendFhir(
              req,
              reply,
              await api.searchObservations(principalOf(req), req.query, { base, appView: mount.appView }),
            ),
        );
      },
      { prefix: mount.prefix },
    );
  }
}
