import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { principalOf } from '../http/auth-hook.ts';
import { ProblemSchema } from '../http/problem.ts';
import { SourcesBody, SourcesResponseSchema } from './sources.schemas.ts';
import type { SourcesService } from './sources.service.ts';

const tags = ['Health data'];
const security = [{ bearerAuth: [] }];
const errors = { 400: ProblemSchema, 401: ProblemSchema };

/** GET/PUT /health/sources: the caller's own source priorities (protected scope). */
export function sourcesRoutes(app: FastifyInstance, sources: SourcesService): void {
  app.get(
    '/health/sources',
    {
      config: { audit: 'health.sources.read' },
      schema: {
        tags,
        security,
        summary: 'Source priorities',
        description:
          'Which source the summary counts on a day when several measured the same type: the stored lists (per group of types and per type) and the effective order of every type, with `default: true` where no stored list applies.',
        response: { 200: SourcesResponseSchema, ...errors },
      },
    },
    async (req) => sources.get(principalOf(req)),
  );

  app.put<{ Body: Static<typeof SourcesBody> }>(
    '/health/sources',
    {
      config: { audit: 'health.sources.update' },
      schema: {
        tags,
        security,
        summary: 'Set the source priorities',
        description:
          'Replaces the stored lists with the body’s (an empty body, `{}`, restores every default). Per group (`body`, `activity`, `vitals`) and per type, the sources best first; a type’s own list wins over its group’s, and sources a list leaves out follow in the default order. Answers as GET.',
        body: SourcesBody,
        response: { 200: SourcesResponseSchema, ...errors },
      },
    },
    async (req) => sources.put(principalOf(req), req.body),
  );
}
