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
const EXPORT_EXAMPLES = {
  csv: `id,type,status,value,unit,effective_start,effective_end,date,source_vendor,source_device,code_system,code,sample_count\no-1f2e3d4c5b6a,steps,final,8042,{steps},2026-11-01T00:00:00+01:00,2026-11-02T00:00:00+01:00,2026-11-01,fitbit,Pixel Watch 3,http://loinc.org,55423-8,\n`,
  ndjson:
    '{"resourceType":"Observation","id":"o-1f2e3d4c5b6a","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"55423-8"}]},"valueQuantity":{"value":8042,"unit":"steps"}}\n',
  bundle: '{"resourceType":"Bundle","type":"collection","entry":[]}',
};

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
          'Filtered by type, time range and source, newest first by default; page on with next_cursor. Gzip-encoded (Content-Encoding: gzip, Vary: Accept-Encoding) when the request accepts gzip.',
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
        summary: 'Summary per day, week or month',
        description:
          'For one measurement type, per local day, week or month: count, min, max, avg and sum. One source per day: where several sources measured the type that day, the first in the person’s priorities (GET /health/sources) is counted and named in `source`; weeks and months list theirs in `sources`.',
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
        summary: 'Export observations',
        description:
          'Streamed as an attachment: format=csv (text/csv), ndjson (FHIR Observations, application/fhir+ndjson) or bundle (a FHIR collection Bundle, application/fhir+json). Same filters as GET /health/observations.',
        querystring: ExportQuery,
        response: {
          200: {
            description: 'The export, streamed (Content-Disposition: attachment)',
            content: {
              'text/csv': { schema: Type.String(), example: EXPORT_EXAMPLES.csv },
              'application/fhir+ndjson': { schema: Type.String(), example: EXPORT_EXAMPLES.ndjson },
              'application/fhir+json': { schema: Type.String(), example: EXPORT_EXAMPLES.bundle },
            },
          },
          ...errors,
        },
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
