import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { AppError } from '../errors.ts';
import type { Metrics } from './metrics.ts';

export interface ReadinessCheck {
  name: string;
  /** Resolves with detail when healthy; throws (or resolves ok:false) when not. */
  check(): Promise<{ ok: boolean; detail?: Record<string, unknown> }>;
}

const tags = ['Operations'];

// Public operational routes: registered outside the protected scope.
export function opsRoutes(
  app: FastifyInstance,
  deps: { checks: ReadinessCheck[]; metrics: Metrics; metricsToken: string | undefined },
): void {
  app.get(
    '/healthz',
    { schema: { tags, response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  // PHR-App's dashboard banner reads `fhir.status`; the FHIR store is the app's own database.
  app.get(
    '/health',
    {
      schema: {
        tags,
        response: {
          200: Type.Object({ status: Type.String(), fhir: Type.Object({ status: Type.String() }) }),
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

  app.get('/readyz', { schema: { tags } }, async (_req, reply) => {
    const results: Record<string, unknown> = {};
    let ready = true;
    for (const c of deps.checks) {
      try {
        const r = await c.check();
        results[c.name] = { status: r.ok ? 'ok' : 'failing', ...r.detail };
        ready &&= r.ok;
      } catch (err) {
        results[c.name] = { status: 'failing', error: err instanceof Error ? err.message : 'unknown' };
        ready = false;
      }
    }
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: results });
  });

  app.get('/metrics', { schema: { tags, hide: false } }, async (req, reply) => {
    if (deps.metricsToken) {
      const header = req.headers.authorization ?? '';
      if (header !== `Bearer ${deps.metricsToken}`)
        throw new AppError('UNAUTHENTICATED', 'Metrics token required');
    }
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}
