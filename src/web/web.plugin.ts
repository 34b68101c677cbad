import { createReadStream } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

// The web dashboard: plain ES modules from `web/`, served as they are at /app (no build step),
// plus the two uPlot files it imports, straight from node_modules. Public: the pages hold no
// data; every API call they make carries its own bearer token.

const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));
// NOTE: the minified IIFE build (~50 KB) is the small one; uPlot ships no minified ES module.
const UPLOT_DIST = dirname(fileURLToPath(import.meta.resolve('uplot/dist/uPlot.iife.min.js')));
const UPLOT_FILES = new Set(['/uPlot.iife.min.js', '/uPlot.min.css']);

export async function webRoutes(app: FastifyInstance): Promise<void> {
  // NOTE: file names carry no content hash, so browsers revalidate (ETag) instead of caching blind.
  const setHeaders = (reply: FastifyReply) => {
    reply.header('cache-control', 'no-cache');
  };
  await app.register(fastifyStatic, {
    root: WEB_ROOT,
    prefix: '/app/',
    decorateReply: false,
    index: false,
    cacheControl: false,
    setHeaders,
    schemaHide: true,
  });
  // The page itself, at /app and /app/ (the router ignores trailing slashes).
  app.get('/app', { schema: { hide: true } }, (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(createReadStream(`${WEB_ROOT}index.html`)),
  );
  await app.register(fastifyStatic, {
    root: UPLOT_DIST,
    prefix: '/app/vendor/',
    decorateReply: false,
    index: false,
    cacheControl: false,
    setHeaders,
    schemaHide: true,
    allowedPath: (path) => UPLOT_FILES.has(path),
  });
}
