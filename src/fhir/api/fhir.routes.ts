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
import { FHIR_EXAMPLES, fhirResource } from './examples.ts';
import type { FhirApi, ReadableType } from './fhir-api.service.ts';
import { FHIR_JSON, outcome, registerFhirErrors, sendFhir } from './outcome.ts';

/** `listed`: the OpenAPI document lists each operation once, under /fhir; /fhir/R4 is its alias. */
export const FHIR_MOUNTS = [
  { prefix: '/fhir/R4', appView: false, listed: false },
  { prefix: '/fhir', appView: true, listed: true },
] as const;

/** The `/fhir/R4` alias serves the same routes; the OpenAPI document lists them once, under `/fhir`. */
export function hideUnlisted(scope: FastifyInstance, mount: (typeof FHIR_MOUNTS)[number]): void {
  if (mount.listed) return;
  scope.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });
}

const tags = ['FHIR R4'];
const security = [{ bearerAuth: [] }];
const IdParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9\\-.]{1,64}$' }) });
const LooseQuery = Type.Object({}, { additionalProperties: true });

export async function fhirPublicRoutes(app: FastifyInstance, opts: { baseUrl: string; startedAt: Date }) {
  for (const mount of FHIR_MOUNTS) {
    await app.register(
      async (scope) => {
        hideUnlisted(scope, mount);
        registerFhirErrors(scope);
        scope.get(
          '/metadata',
          {
            schema: {
              tags,
              summary: 'CapabilityStatement',
              description: 'Public: what this server supports, with every search parameter.',
              response: { 200: fhirResource(FHIR_EXAMPLES.capabilityStatement) },
            },
          },
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
        hideUnlisted(fhir, mount);
        registerFhirErrors(fhir);
        const readExamples = {
          Patient: FHIR_EXAMPLES.patient,
          Observation: FHIR_EXAMPLES.observation,
          Device: FHIR_EXAMPLES.device,
        };
        const readRoute = (type: ReadableType) =>
          fhir.get<{ Params: Static<typeof IdParams> }>(
            `/${type}/:id`,
            {
              config: { audit: `fhir.${type}.read` as const },
              schema: {
                tags,
                security,
                summary: `Read a ${type}`,
                description: `The caller’s own ${type} only (404 otherwise), with ETag and Last-Modified; 304 on a matching If-None-Match.`,
                params: IdParams,
                response: {
                  200: fhirResource(readExamples[type]),
                  304: Type.Null({ description: 'Not modified: the If-None-Match ETag is current' }),
                },
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
              summary: 'Search Observations',
              description:
                'A searchset Bundle of the caller’s Observations with self and next links; the parameters supported are listed in the CapabilityStatement (GET /fhir/metadata).',
              querystring: LooseQuery,
              response: { 200: fhirResource(FHIR_EXAMPLES.observationSearch) },
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
