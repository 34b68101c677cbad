/**
 * FHIR write routes, registered inside the auth scope on each FHIR mount (`/fhir/R4` and `/fhir`),
 * so auth is the protected scope's hook and errors are OperationOutcome.
 *
 *   fhirWriteRoutes(scope, { writes, baseUrl }) -> the routes below, on every mount
 *
 *   POST [base]/Observation      -> 201 (created) | 200 (the same content was already stored)
 *   POST [base]/Condition        -> a Condition: 201 | 200; a transaction Bundle: 200 transaction-response
 *   GET  [base]/Condition        -> searchset Bundle (patient, _count, _sort=-recorded-date, ...)
 *   GET  [base]/Condition/{id}   -> the caller's Condition
 *
 * Bodies may be `application/json` (the PHR app) or `application/fhir+json`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { principalOf } from '../../http/auth-hook.ts';
import { jsonBodyParser } from '../../http/request-limits.ts';
import { FHIR_EXAMPLES, fhirResource } from '../api/examples.ts';
import { FHIR_MOUNTS, hideUnlisted } from '../api/fhir.routes.ts';
import { registerFhirErrors, sendFhir } from '../api/outcome.ts';
import type { StoredResource } from '../store/fhir.repository.ts';
import type { FhirWrites } from './writes.service.ts';

const tags = ['FHIR R4'];
const security = [{ bearerAuth: [] }];
const ObservationBody = fhirResource(FHIR_EXAMPLES.observationBody, 'A FHIR R4 Observation');
const StoredObservation = fhirResource(FHIR_EXAMPLES.observation, 'The stored Observation');
const ConditionBody = fhirResource(
  FHIR_EXAMPLES.conditionBody,
  'A FHIR R4 Condition or a transaction Bundle',
);
const StoredCondition = fhirResource(FHIR_EXAMPLES.condition);
const IdParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9\\-.]{1,64}$' }) });
const LooseQuery = Type.Object({}, { additionalProperties: true });

function sendStored(
  request: FastifyRequest,
  reply: FastifyReply,
  base: string,
  result: { created: boolean; stored: StoredResource },
): FastifyReply {
  const { resource, versionId, lastUpdated } = result.stored;
  reply
    .code(result.created ? 201 : 200)
    .header('location', `${base}/${resource.resourceType}/${resource.id}/_history/${versionId}`)
    .header('etag', `W/"${versionId}"`)
    .header('last-modified', lastUpdated.toUTCString());
  return sendFhir(request, reply, resource);
}

export async function fhirWriteRoutes(scope: FastifyInstance, opts: { writes: FhirWrites; baseUrl: string }) {
  for (const mount of FHIR_MOUNTS) {
    await scope.register(
      async (fhir) => {
        hideUnlisted(fhir, mount);
        registerFhirErrors(fhir);
        registerFhirWrites(fhir, { writes: opts.writes, base: `${opts.baseUrl}${mount.prefix}` });
      },
      { prefix: mount.prefix },
    );
  }
}

function registerFhirWrites(fhir: FastifyInstance, opts: { writes: FhirWrites; base: string }): void {
  const { writes, base } = opts;
  if (!fhir.hasContentTypeParser('application/fhir+json')) {
    fhir.addContentTypeParser('application/fhir+json', { parseAs: 'string' }, jsonBodyParser(fhir));
  }

  fhir.post<{ Body: Static<typeof ObservationBody> }>(
    '/Observation',
    {
      config: { audit: 'fhir.Observation.create', errors: [422] },
      schema: {
        tags,
        security,
        summary: 'Create an Observation',
        description:
          'Idempotent: 201 with the stored resource, or 200 when the same Observation was stored before. Location, ETag and Last-Modified name the stored version.',
        body: ObservationBody,
        response: { 200: StoredObservation, 201: StoredObservation },
      },
    },
    async (req, reply) =>
      sendStored(req, reply, base, await writes.createObservation(principalOf(req), req.body)),
  );

  fhir.post<{ Body: Static<typeof ConditionBody> }>(
    '/Condition',
    {
      config: { audit: 'fhir.Condition.create', errors: [422] },
      schema: {
        tags,
        security,
        summary: 'Create a Condition, or every Condition of a transaction Bundle',
        description:
          'One Condition: 201, or 200 when already stored. A transaction Bundle of Conditions: 200 with a transaction-response Bundle, all or nothing.',
        body: ConditionBody,
        response: { 200: StoredCondition, 201: StoredCondition },
      },
    },
    async (req, reply) => {
      const result = await writes.createConditions(principalOf(req), req.body);
      if ('bundle' in result) return sendFhir(req, reply.code(200), result.bundle);
      return sendStored(req, reply, base, result);
    },
  );

  fhir.get<{ Querystring: Record<string, unknown> }>(
    '/Condition',
    {
      config: { audit: 'fhir.Condition.search' },
      schema: {
        tags,
        security,
        summary: 'Search Conditions',
        description:
          'A searchset Bundle of the caller’s Conditions (patient, _count, _sort=-recorded-date, ...).',
        querystring: LooseQuery,
        response: { 200: fhirResource(FHIR_EXAMPLES.conditionSearch) },
      },
    },
    async (req, reply) =>
      sendFhir(req, reply, await writes.searchConditions(principalOf(req), req.query, { base })),
  );

  fhir.get<{ Params: Static<typeof IdParams> }>(
    '/Condition/:id',
    {
      config: { audit: 'fhir.Condition.read' },
      schema: {
        tags,
        security,
        summary: 'Read a Condition',
        description: 'The caller’s own Condition only (404 otherwise); 304 on a matching If-None-Match.',
        params: IdParams,
        response: { 200: StoredCondition },
      },
    },
    async (req, reply) => {
      const found = await writes.readCondition(principalOf(req), req.params.id);
      const etag = `W/"${found.versionId}"`;
      reply.header('etag', etag).header('last-modified', found.lastUpdated.toUTCString());
      if (req.headers['if-none-match'] === etag) return reply.code(304).send();
      return sendFhir(req, reply, found.resource);
    },
  );
}
