import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { principalOf } from '../http/auth-hook.ts';
import { ProblemSchema } from '../http/problem.ts';
import { sendRenderedPage } from '../http/rendered-page.ts';
import {
  ExportQuery,
  HealthObservationsResponseSchema,
  ObservationsQuery,
  SummaryQuery,
  SummaryResponseSchema,
} from './health.schemas.ts';
import type { HealthService } from './health.service.ts';

const tags = ['Health data'];
const security = [{ bearerAuth: [] }];
const errors = { 400: ProblemSchema, 401: ProblemSchema };

export function healthRoutes(app: FastifyInstance, health: HealthService): void {
  app.get<{ Querystring: Static<typeof ObservationsQuery> }>(
    '/health/observations',
    {
      config: { audit: 'health.observations.list' },
      schema: {
        tags,
        security,
        summary: 'Observations of every vendor, one shape',
        description:
          'Gzip-encoded (Content-Encoding: gzip, Vary: Accept-Encoding) when the request accepts gzip.',
        querystring: ObservationsQuery,
        response: { 200: HealthObservationsResponseSchema, ...errors },
      },
    },
    // Items rendered once and cached: the edge sends them (gzip, Vary, audit ids).
    async (req, reply) => sendRenderedPage(reply, await health.listObservations(principalOf(req), req.query)),
  );

  app.get<{ Querystring: Static<typeof SummaryQuery> }>(
    '/health/summary',
    {
      config: { audit: 'health.summary.read' },
      schema: {
        tags,
        security,
        summary: 'Per local day, week or month: count, min, max, avg, sum',
        querystring: SummaryQuery,
        response: { 200: SummaryResponseSchema, ...errors },
      },
    },
    async (req) => health.summary(principalOf(req), req.query),
  );

  app.get<{ Querystring: Static<typeof ExportQuery> }>(
    '/health/export',
    {
      config: { audit: 'health.export' },
      schema: {
        tags,
        security,
        summary: 'Streamed export: CSV, FHIR NDJSON or a FHIR collection Bundle',
        querystring: ExportQuery,
        response: { 200: Type.String({ description: 'the export, streamed' }), ...errors },
      },
    },
    async (req, reply) => {
      const out = await health.exportObservations(principalOf(req), req.query);
      req.auditCount = out.count;
      return reply
        .type(out.contentType)
        .header('content-disposition', `attachment; filename="observations.${out.extension}"`)
        .header('cache-control', 'no-store')
        .send(Readable.from(out.body));
    },
  );
}
