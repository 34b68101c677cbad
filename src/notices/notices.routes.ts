import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import Type from 'typebox';
import { principalOf } from '../http/auth-hook.ts';
import { ProblemSchema } from '../http/problem.ts';
import { NoticeIdParams, NoticeListSchema } from './notices.schemas.ts';
import type { NoticesService } from './notices.service.ts';

const tags = ['Notices'];
const security = [{ bearerAuth: [] }];
const errors = { 401: ProblemSchema };

/** /notices: the caller's open notices about connections that stopped working (protected scope). */
export function noticesRoutes(app: FastifyInstance, notices: NoticesService): void {
  app.get(
    '/notices',
    {
      config: { audit: 'notices.list' },
      schema: {
        tags,
        security,
        summary: 'List open notices',
        description:
          'The caller’s notices that are neither dismissed nor resolved, newest first: a connection whose grant was revoked or expired (`integration.needs_reauth`), or whose last 3 syncs failed (`sync.failing`). They resolve by themselves when the vendor is connected again or a sync succeeds.',
        response: { 200: NoticeListSchema, ...errors },
      },
    },
    async (req) => notices.list(principalOf(req)),
  );

  app.post<{ Params: Static<typeof NoticeIdParams> }>(
    '/notices/:id/dismiss',
    {
      config: { audit: 'notices.dismiss' },
      schema: {
        tags,
        security,
        summary: 'Dismiss a notice',
        description:
          'Hides the notice from GET /notices. Its cause is not fixed by this: the same notice is not raised again until it is resolved.',
        params: NoticeIdParams,
        response: {
          204: Type.Null({ description: 'Dismissed' }),
          400: ProblemSchema,
          404: ProblemSchema,
          ...errors,
        },
      },
    },
    async (req, reply) => {
      await notices.dismiss(principalOf(req), req.params.id);
      return reply.code(204).send();
    },
  );
}
