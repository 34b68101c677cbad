import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import Type from 'typebox';
import { wantsSessionCookie } from '../auth/refresh-cookie.ts';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { type Authenticator, bearerToken, principalOf } from '../http/auth-hook.ts';
import { ProblemSchema } from '../http/problem.ts';
import {
  bindingCookiePath,
  bindingSetCookie,
  DASHBOARD_RETURN_PATH,
  readBindingCookies,
  returnClearCookie,
  returnSetCookie,
  returnsToDashboard,
} from './browser-binding.ts';
import {
  AuthorizeQuery,
  AuthorizeResponseSchema,
  AvailableVendorsSchema,
  CallbackQuery,
  IdParams,
  IntegrationListSchema,
  IntegrationStatusSchema,
  ListIntegrationsQuery,
  OAuthResultQuery,
  SelectVendorBody,
  VendorIntegrationInfoSchema,
  VendorParams,
} from './integrations.schemas.ts';
import type { IntegrationsService } from './integrations.service.ts';
import { type CallbackResult, type OAuthFlowService, STATE_TTL_MS } from './oauth-flow.service.ts';
import { renderOAuthResult } from './oauth-result.page.ts';

const tags = ['Vendor integrations'];
const security = [{ bearerAuth: [] }];
export const OAUTH_RESULT_PATH = '/integrations/oauth/result';

/** Public: the vendor's redirect back, and the page a browser ends on. */
export function integrationsPublicRoutes(
  app: FastifyInstance,
  flow: OAuthFlowService,
  config: Pick<Config, 'oauthSuccessRedirect' | 'publicBaseUrl'>,
): void {
  const returnCookie = {
    path: bindingCookiePath(config.publicBaseUrl),
    secure: new URL(config.publicBaseUrl).protocol === 'https:',
  };
  app.get<{ Params: Static<typeof VendorParams>; Querystring: Static<typeof CallbackQuery> }>(
    '/integrations/:vendor/callback',
    {
      // Audited by the connect flow (src/deps.ts onConnected): no principal on this public route.
      schema: {
        tags,
        summary: 'OAuth redirect back from the vendor',
        description:
          'Public: the vendor sends the browser here. Completes the connection and redirects (302) to OAUTH_SUCCESS_REDIRECT, or else to the dashboard (/app/) when the flow began there, or else the result page, with status=connected or status=error&code=...',
        params: VendorParams,
        querystring: CallbackQuery,
        response: { 302: Type.Null({ description: 'To the result page' }) },
      },
    },
    async (req, reply) => {
      // The raw query, so parameters the vendor adds beyond the schema reach the OAuth validation.
      const params = new URL(req.url, 'http://callback.invalid').searchParams;
      const result = await flow.callback(req.params.vendor, params, readBindingCookies(req.headers.cookie));
      const dashboard = returnsToDashboard(req.headers.cookie);
      const target = config.oauthSuccessRedirect ?? (dashboard ? DASHBOARD_RETURN_PATH : undefined);
      if (dashboard) reply.header('set-cookie', returnClearCookie(returnCookie));
      return reply
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .redirect(resultLocation(target, result), 302);
    },
  );
  app.get<{ Querystring: Static<typeof OAuthResultQuery> }>(
    OAUTH_RESULT_PATH,
    {
      schema: {
        tags,
        summary: 'OAuth result page',
        description: 'Public: the HTML page a browser ends on after connecting a vendor.',
        querystring: OAuthResultQuery,
        response: {
          200: {
            description: 'An HTML page',
            content: {
              'text/html': {
                schema: Type.String(),
                example: '<!doctype html><title>Connected</title><p>Fitbit is connected.</p>',
              },
            },
          },
        },
      },
    },
    async (req, reply) => reply.type('text/html; charset=utf-8').send(renderOAuthResult(req.query)),
  );
}

/**
 * GET /integrations/{vendor}/authorize in its own scope: the PHR-App opens it in a browser
 * with `?token=<JWT>` and no Authorization header, so this scope's hook also accepts the
 * query token. Every other route stays behind the one protected-scope hook.
 */
export function integrationsAuthorizeRoutes(
  scope: FastifyInstance,
  flow: OAuthFlowService,
  authenticator: Authenticator,
  config: Pick<Config, 'publicBaseUrl'>,
): void {
  const cookie = {
    path: bindingCookiePath(config.publicBaseUrl),
    secure: new URL(config.publicBaseUrl).protocol === 'https:',
    maxAgeSeconds: STATE_TTL_MS / 1000,
  };
  scope.addHook('onRequest', async (request, reply) => {
    // NOTE: a token in a URL can leak through history and Referer; never cache this answer or
    // send a Referer onward. The logger redacts `token=` (src/log.ts).
    reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
    const fromQuery = (request.query as { token?: unknown }).token;
    const token = bearerToken(request) ?? (typeof fromQuery === 'string' ? fromQuery : undefined);
    if (!token) throw new AppError('UNAUTHENTICATED', 'Missing bearer token');
    request.principal = await authenticator.authenticateToken(token);
  });
  scope.get<{ Params: Static<typeof VendorParams>; Querystring: Static<typeof AuthorizeQuery> }>(
    '/integrations/:vendor/authorize',
    {
      config: { audit: 'integration.authorize' },
      schema: {
        tags,
        security,
        summary: 'Start connecting a vendor (OAuth)',
        description:
          'Answers the vendor’s authorization URL as JSON, or redirects (302) to it with redirect=true, or when the token came as ?token= (the PHR-App’s browser, which cannot send headers). Sets a cookie that binds the flow to this browser.',
        params: VendorParams,
        querystring: AuthorizeQuery,
        response: {
          200: AuthorizeResponseSchema,
          302: Type.Null({ description: 'To the vendor’s authorization page' }),
          404: ProblemSchema,
        },
      },
    },
    async (req, reply) => {
      const { start, browserBinding } = await flow.authorize(principalOf(req), req.params.vendor, {
        loginHint: req.query.login_hint,
        browserBinding: readBindingCookies(req.headers.cookie)[0],
      });
      // Both answers bind the flow to this browser: the dashboard's same-origin fetch stores the
      // cookie before it navigates to the vendor, the PHR-App's browser stores it with the redirect.
      const binding = bindingSetCookie(browserBinding, cookie);
      // The dashboard (x-phr-session) wants its flow to come back to it (integrationsPublicRoutes).
      reply.header(
        'set-cookie',
        wantsSessionCookie(req.headers) ? [binding, returnSetCookie(cookie)] : binding,
      );
      // A browser that came with ?token= (the PHR-App) wants the redirect; API clients get JSON.
      const redirect = req.query.redirect ?? (!bearerToken(req) && req.query.token !== undefined);
      return redirect ? reply.redirect(start.authorization_url, 302) : start;
    },
  );
}

export function integrationsProtectedRoutes(app: FastifyInstance, service: IntegrationsService): void {
  app.get(
    '/integrations/vendors/available',
    {
      schema: {
        tags,
        security,
        summary: 'Vendors that can be connected',
        description: 'Every vendor this server is configured for, with the data types it provides.',
        response: { 200: AvailableVendorsSchema },
      },
    },
    async () => service.availableVendors(),
  );
  app.post<{ Body: Static<typeof SelectVendorBody> }>(
    '/integrations/vendors/select',
    {
      config: { audit: 'integration.select' },
      schema: {
        tags,
        security,
        summary: 'Choose a vendor to connect',
        description:
          'Creates the integration (201) or answers the existing one (200); connect it with GET /integrations/{vendor}/authorize. 422 UNKNOWN_VENDOR for a vendor that is not available.',
        body: SelectVendorBody,
        response: { 200: VendorIntegrationInfoSchema, 201: VendorIntegrationInfoSchema, 422: ProblemSchema },
      },
    },
    async (req, reply) => {
      const { created, integration } = await service.selectVendor(principalOf(req), req.body.vendor);
      return reply.code(created ? 201 : 200).send(integration);
    },
  );
  app.get<{ Querystring: Static<typeof ListIntegrationsQuery> }>(
    '/integrations/vendors',
    {
      schema: {
        tags,
        security,
        summary: 'The account’s vendor integrations',
        description: 'Every integration, or with active_only=true only the active ones.',
        querystring: ListIntegrationsQuery,
        response: { 200: IntegrationListSchema },
      },
    },
    async (req) => ({
      integrations: await service.listIntegrations(principalOf(req), { activeOnly: req.query.active_only }),
    }),
  );
  app.delete<{ Params: Static<typeof IdParams> }>(
    '/integrations/vendors/:id',
    {
      config: { audit: 'integration.disconnect' },
      schema: {
        tags,
        security,
        summary: 'Disconnect an integration by id',
        description:
          'Revokes the vendor tokens and deactivates the integration; the data already synced stays.',
        params: IdParams,
        response: { 204: Type.Null({ description: 'Disconnected' }), 404: ProblemSchema },
      },
    },
    async (req, reply) => {
      await service.deactivateIntegration(principalOf(req), req.params.id);
      return reply.code(204).send();
    },
  );
  app.post<{ Body: Static<typeof SelectVendorBody> }>(
    '/integrations/vendors/disconnect',
    {
      config: { audit: 'integration.disconnect' },
      schema: {
        tags,
        security,
        summary: 'Disconnect a vendor',
        description: 'As DELETE /integrations/vendors/{id}, by vendor name; answers the vendor’s new status.',
        body: SelectVendorBody,
        response: { 200: IntegrationStatusSchema, 422: ProblemSchema },
      },
    },
    async (req) => service.disconnectVendor(principalOf(req), req.body.vendor),
  );
  app.get<{ Params: Static<typeof VendorParams> }>(
    '/integrations/:vendor/status',
    {
      schema: {
        tags,
        security,
        summary: 'Connection status of a vendor',
        description: 'Whether it is connected, with which scopes, and how its last sync went.',
        params: VendorParams,
        response: { 200: IntegrationStatusSchema, 404: ProblemSchema },
      },
    },
    async (req) => service.status(principalOf(req), req.params.vendor),
  );
}

function resultLocation(target: string | undefined, result: CallbackResult): string {
  const url = new URL(target ?? OAUTH_RESULT_PATH, 'http://relative.invalid');
  if (result.ok) {
    url.searchParams.set('status', 'connected');
    url.searchParams.set('vendor', result.vendor);
  } else {
    url.searchParams.set('status', 'error');
    url.searchParams.set('code', result.code);
    url.searchParams.set('vendor', result.vendor);
  }
  return url.origin === 'http://relative.invalid' ? `${url.pathname}${url.search}` : url.toString();
}
