import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

// Security headers from helmet, computed once: with this configuration they do not depend on the
// request, so helmet runs at start-up against a recorder and each reply gets the recorded set.
// Why: helmet's middleware chain per request, each header through res.setHeader, was a visible
// share of the server's CPU per health page (bench/api/README.md).
// The CSP allows only the app's own assets: the dashboard at /app has no inline script.
// Plus `Cache-Control: no-store` by default (below).
export function registerSecurityHeaders(app: FastifyInstance): void {
  const headers = helmetHeaders(
    helmet({
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
    }),
  );
  // Answers hold health data or tokens: no cache may keep them (RFC 6749 §5.1 asks it of token
  // answers). Routes that may be cached say so themselves (the dashboard's files: no-cache).
  headers['cache-control'] = 'no-store';
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
}

/** The headers a helmet middleware sets (it removes none Fastify sends). */
function helmetHeaders(middleware: ReturnType<typeof helmet>): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader() {},
  };
  let done = false;
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
    done = true;
  });
  if (!done) throw new Error('helmet did not finish synchronously');
  return headers;
}
