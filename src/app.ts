import { randomUUID } from 'node:crypto';
import compress from '@fastify/compress';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { accountRoutes } from './account/account.routes.ts';
import { registerAuditHooks } from './audit/audit.hook.ts';
import { auditRoutes } from './audit/audit.routes.ts';
import { authProtectedRoutes, authPublicRoutes } from './auth/auth.routes.ts';
import { refreshCookieOptions } from './auth/refresh-cookie.ts';
import type { Config } from './config.ts';
import type { AppDeps } from './deps.ts';
import { endpointsRoutes } from './events/endpoints.routes.ts';
import { streamRoutes } from './events/stream.routes.ts';
import { fhirProtectedRoutes, fhirPublicRoutes } from './fhir/api/fhir.routes.ts';
import { fhirWriteRoutes } from './fhir/writes/writes.routes.ts';
import { healthRoutes } from './health/health.routes.ts';
import { sourcesRoutes } from './health/sources.routes.ts';
import { protectScope } from './http/auth-hook.ts';
import { registerErrorHandling } from './http/error-handler.ts';
import { documentRoute, finishDocument, OPENAPI_TAGS } from './http/openapi.ts';
import { ProblemSchema } from './http/problem.ts';
import { jsonBodyParser, parseQuery, rejectOversizedQuery } from './http/request-limits.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import { registerValidation } from './http/validation.ts';
import { importsRoutes } from './imports/imports.routes.ts';
import {
  integrationsAuthorizeRoutes,
  integrationsProtectedRoutes,
  integrationsPublicRoutes,
} from './integrations/integrations.routes.ts';
import { googleWebhookRoutes, withingsNotifyRoutes } from './integrations/vendor-push.routes.ts';
import { mobileRoutes } from './mobile/mobile.routes.ts';
import { noticesRoutes } from './notices/notices.routes.ts';
import { opsRoutes } from './ops/ops.routes.ts';
import { preferencesRoutes } from './preferences/preferences.routes.ts';
import { syncRoutes } from './sync/sync.routes.ts';
import { webRoutes } from './web/web.plugin.ts';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

declare module 'fastify' {
  interface FastifyRequest {
    /** The level of this request's access-log line; a route lowers it for an expected refusal. */
    accessLogLevel: 'info' | 'debug';
  }
}

/**
 * NOTE: Fastify 5.12 treats a numeric trustProxy as "trust nothing" (a hop count cannot tell a proxy
 * from a direct client), so a hop count is passed as proxy-addr's function: the nearest `hops`
 * addresses are trusted whoever they are (docs/integration.md says when that is safe).
 */
function trustProxyOption(
  trust: Config['trustProxy'],
): boolean | string[] | ((addr: string, hop: number) => boolean) {
  if (typeof trust !== 'number') return trust;
  return trust === 0 ? false : (_addr, hop) => hop < trust;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // X-Forwarded-For sets req.ip (rate limits, audit trail) only from the proxies TRUST_PROXY names.
    trustProxy: trustProxyOption(config.trustProxy),
    requestIdHeader: false,
    // One access-log line per request (the onResponse hook below), not Fastify's two: each line
    // runs the redaction (src/log.ts), so one line instead of two halves its cost per request.
    // (The top-level disableRequestLogging option is deprecated in Fastify 5.12: FSTDEP023.)
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true, querystringParser: parseQuery },
  });
  app.decorateRequest('principal', null);
  app.decorateRequest('accessLogLevel', 'info');
  registerValidation(app);
  registerErrorHandling(app);
  app.addSchema(ProblemSchema);
  registerAuditHooks(app, deps.audit);
  // Bodies are JSON (depth-capped) and nothing else: another media type is a 415, not a string
  // handed to a route that expects an object. Scopes that need more add their own parsers.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonBodyParser(app));

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    rejectOversizedQuery(req);
  });
  app.addHook('onResponse', async (req, reply) => {
    req.log[req.accessLogLevel](
      { req, res: reply, responseTime: Math.round(reply.elapsedTime * 10) / 10 },
      'request completed',
    );
    const route = req.routeOptions.url ?? 'unmatched';
    deps.metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    deps.metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });

  registerSecurityHeaders(app);
  await app.register(cors, {
    origin: config.corsOrigins.length > 0 ? config.corsOrigins : false,
    credentials: false,
  });
  // gzip for answers over 1 kB when the client accepts it (browsers and Dart's HttpClient, so the
  // Flutter app, do): its GET /fhir/Observation?_count=1000 is megabytes of JSON. Small answers are
  // compressed inline, larger ones and streams (exports) on libuv's thread pool. Answers already
  // encoded are left alone (/health/observations gzips from cached parts: src/http/rendered-page.ts).
  // Request bodies are not decompressed: the contract has no compressed uploads.
  await app.register(compress, { encodings: ['gzip'], threshold: 1024, globalDecompression: false });
  // Per-IP limits (auth routes): counted in Redis when REDIS_URL is set, so that several API
  // processes share them; if Redis fails they are skipped, not turned into errors (the connection's
  // errors are logged; src/http/shared-limits.ts).
  const { redis: limitsRedis, ipNameSpace } = deps.limits;
  await app.register(rateLimit, {
    global: false,
    ...(limitsRedis ? { redis: limitsRedis, nameSpace: ipNameSpace, skipOnError: true } : {}),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'PHR Backend',
        version: '0.1.0',
        description: [
          'Personal health record API (FHIR R4 inside).',
          'Errors are application/problem+json (RFC 9457); under /fhir they are FHIR OperationOutcome (application/fhir+json).',
          'Every /fhir operation is also served under /fhir/R4, in canonical R4 form (see the FHIR R4 tag); it is listed once.',
        ].join(' '),
      },
      tags: OPENAPI_TAGS,
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    transform: documentRoute,
    transformObject: finishDocument,
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // Public routes.
  opsRoutes(app, { checks: deps.readiness, metrics: deps.metrics, metricsToken: config.metricsToken });
  authPublicRoutes(
    app,
    deps.auth,
    config.authRateLimitPerMinute,
    refreshCookieOptions(config.publicBaseUrl, config.jwt.refreshTtlSeconds),
  );
  integrationsPublicRoutes(app, deps.oauthFlow, config);
  googleWebhookRoutes(app, deps.googleWebhook);
  withingsNotifyRoutes(app, deps.withingsNotifications);
  // OAuth start: its own scope whose auth hook also accepts `?token=` (the PHR-App's browser).
  await app.register(async (scope) =>
    integrationsAuthorizeRoutes(scope, deps.oauthFlow, deps.authenticator, config),
  );
  await app.register(webRoutes); // the dashboard's static files at /app
  await fhirPublicRoutes(app, { baseUrl: config.publicBaseUrl, startedAt: deps.clock.now() });

  // Everything else needs a bearer token: one hook on one scope.
  await app.register(async (scope) => {
    protectScope(scope, deps.authenticator);
    authProtectedRoutes(scope, deps.auth);
    accountRoutes(scope, deps.account);
    auditRoutes(scope, deps.audit);
    healthRoutes(scope, deps.health);
    sourcesRoutes(scope, deps.sources);
    endpointsRoutes(scope, deps.endpoints, deps.delivery);
    noticesRoutes(scope, deps.notices);
    preferencesRoutes(scope, deps.preferences);
    streamRoutes(scope, deps.streams, (principal) => deps.auth.stillSignedIn(principal));
    syncRoutes(scope, deps.sync.service);
    await importsRoutes(scope, deps.imports, { maxBytes: config.importMaxBytes });
    await mobileRoutes(scope, deps.mobile); // PHR-App: POST /vendors/{vendor}/sync, GET /sync/status
    integrationsProtectedRoutes(scope, deps.integrations);
    await fhirProtectedRoutes(scope, { api: deps.fhir.api, baseUrl: config.publicBaseUrl });
    await fhirWriteRoutes(scope, { writes: deps.fhir.writes, baseUrl: config.publicBaseUrl });
  });

  return app;
}
