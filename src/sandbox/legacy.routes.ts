// NOTE: the legacy Fitbit Web API and its OAuth endpoints answer 410 Gone since 2026-11-02;
// the body is not documented (docs/google-health.md §0.8, §10), so the sandbox sends Fitbit's error shape.

import type { FastifyInstance } from 'fastify';
import type { SandboxContext } from './context.ts';

const LEGACY_PATHS = ['/1/user/*', '/1.1/user/*', '/1.2/user/*', '/1/subscriptions/*', '/oauth2/*'];

export function registerLegacyRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  for (const url of LEGACY_PATHS) {
    app.route({
      method: ['GET', 'POST', 'DELETE', 'PUT'],
      url,
      handler: async (request, reply) => {
        ctx.requests.record(`${request.method} legacy-fitbit`);
        return reply.code(410).send({
          errors: [
            {
              errorType: 'gone',
              message: 'The Fitbit Web API has been shut down. Use the Google Health API.',
            },
          ],
          success: false,
        });
      },
    });
  }
}
