import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

// Security headers from helmet, compiled once. (@fastify/helmet rebuilt the helmet middleware,
// re-parsing the CSP, on every request: ~5% of a simple authenticated GET.)
// The CSP allows only the app's own assets: the dashboard at /app has no inline script.
export function registerSecurityHeaders(app: FastifyInstance): void {
  const middleware = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    },
  });
  app.addHook('onRequest', (request, reply, done) => {
    middleware(request.raw, reply.raw, (err?: unknown) => done(err instanceof Error ? err : undefined));
  });
}
