import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { AppError } from '../errors.ts';
import { ProblemSchema } from '../http/problem.ts';
import type { Metrics } from './metrics.ts';
import { bearerMatches } from './metrics-token.ts';
import { createReadiness, type ReadinessCheck } from './readiness.ts';

export type { ReadinessCheck } from './readiness.ts';

const tags = ['Operations'];
/** A check that has not answered by then counts as failing (orchestrators probe with short timeouts). */
const READINESS_TIMEOUT_MS = 3_000;

const ReadinessBody = Type.Object(
  {
    status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
    checks: Type.Record(Type.String(), Type.Union([Type.Literal('ok'), Type.Literal('fail')]), {
      description: 'Each component (database, jobs, redis, fhir_replication when configured): ok or fail',
    }),
  },
  { examples: [{ status: 'ready', checks: { database: 'ok', jobs: 'ok' } }] },
);

// Public operational routes: registered outside the protected scope.
export function opsRoutes(
  app: FastifyInstance,
  deps: { checks: ReadinessCheck[]; metrics: Metrics; metricsToken: string | undefined },
): void {
  const readiness = createReadiness(deps.checks, { timeoutMs: READINESS_TIMEOUT_MS });

  app.get(
    '/healthz',
    {
      schema: {
        tags,
        summary: 'Liveness',
        description: 'Always 200 while the process serves requests; checks nothing else.',
        response: { 200: Type.Object({ status: Type.Literal('ok') }, { examples: [{ status: 'ok' }] }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  // PHR-App's dashboard banner reads `fhir.status`; the FHIR store is the app's own database.
  app.get(
    '/health',
    {
      schema: {
        tags,
        summary: 'Health for the PHR-App banner',
        description:
          'status healthy or degraded, fhir.status connected or unavailable (the database answers or not).',
        response: {
          200: Type.Object(
            { status: Type.String(), fhir: Type.Object({ status: Type.String() }) },
            { examples: [{ status: 'healthy', fhir: { status: 'connected' } }] },
          ),
        },
      },
    },
    async () => {
      const db = deps.checks.find((c) => c.name === 'database');
      const ok = db
        ? await db.check().then(
            (r) => r.ok,
            () => false,
          )
        : true;
      return { status: ok ? 'healthy' : 'degraded', fhir: { status: ok ? 'connected' : 'unavailable' } };
    },
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags,
        summary: 'Readiness',
        description: '200 when every component is ok, else 503 with the same body (details are in the log).',
        response: { 200: ReadinessBody, 503: ReadinessBody },
      },
    },
    async (req, reply) => {
      const { ready, body } = await readiness.run(req.log);
      return reply.code(ready ? 200 : 503).send(body);
    },
  );

  const metricsSchema = {
    tags,
    summary: 'Prometheus metrics',
    description:
      'Prometheus text format. When METRICS_TOKEN is set, it must be sent as a bearer token (401 otherwise).',
    response: {
      200: {
        description: 'The metrics',
        content: {
          'text/plain': {
            schema: Type.String(),
            example:
              '# TYPE http_requests_total counter\nhttp_requests_total{method="GET",route="/healthz",status="200"} 3\n',
          },
        },
      },
      401: ProblemSchema,
    },
  };
  app.get('/metrics', { schema: metricsSchema }, async (req, reply) => {
    if (deps.metricsToken && !bearerMatches(req.headers.authorization, deps.metricsToken)) {
      throw new AppError('UNAUTHENTICATED', 'Metrics token required');
    }
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}
