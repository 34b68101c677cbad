// Google OAuth endpoints: GET /o/oauth2/v2/auth (consent), POST /token, POST /revoke.

import type { FastifyInstance, FastifyReply } from 'fastify';
import { sufferFault } from '../admin/faults.ts';
import type { SandboxContext } from '../context.ts';
import { injectedStatus } from '../lib/errors.ts';
import { renderConsentPage, renderErrorPage } from './consent-page.ts';

type Form = Record<string, string | string[] | undefined>;

function single(form: Form): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(form)) result[key] = Array.isArray(value) ? value[0] : value;
  return result;
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function registerOAuthRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  app.get('/o/oauth2/v2/auth', async (request, reply) => {
    ctx.requests.record('GET /o/oauth2/v2/auth');
    const params = single(request.query as Form);
    const outcome = ctx.oauth.authorize(params);
    if (outcome.kind === 'error-page') {
      return reply
        .code(outcome.status)
        .type('text/html')
        .send(renderErrorPage(outcome.title, outcome.message));
    }
    if (outcome.kind === 'redirect') return reply.redirect(outcome.location, 302);
    const pending = outcome.pending;
    const hinted = pending.loginHint && ctx.people.get(pending.loginHint) ? pending.loginHint : undefined;
    const chosen =
      hinted ??
      (ctx.consentPersonId && ctx.people.get(ctx.consentPersonId) ? ctx.consentPersonId : undefined);
    if (ctx.autoConsent) {
      const personId = chosen ?? ctx.people.list()[0]?.id ?? ctx.people.create().id;
      return reply.redirect(ctx.oauth.approve(pending.id, personId, pending.scopes), 302);
    }
    return reply.type('text/html').send(renderConsentPage(pending, ctx.people.list(), chosen));
  });

  app.post('/o/oauth2/v2/auth/consent', async (request, reply) => {
    ctx.requests.record('POST /o/oauth2/v2/auth/consent');
    const form = (request.body ?? {}) as Form;
    const pending = ctx.oauth.pending(single(form).request_id ?? '');
    if (!pending) {
      return reply
        .code(400)
        .type('text/html')
        .send(renderErrorPage('Error 400: invalid_request', 'The sign-in request expired.'));
    }
    const { action, person } = single(form);
    if (action !== 'allow') return reply.redirect(ctx.oauth.deny(pending), 302);
    if (!person || !ctx.people.get(person)) {
      return reply
        .code(400)
        .type('text/html')
        .send(renderErrorPage('Error 400: invalid_request', 'Choose an account.'));
    }
    return reply.redirect(ctx.oauth.approve(pending.id, person, list(form.scope)), 302);
  });

  app.post('/token', async (request, reply) => {
    ctx.requests.record('POST /token');
    if (await applyOAuthFault(ctx, reply, '/token')) return reply;
    const result = ctx.oauth.token(single((request.body ?? {}) as Form), request.headers.authorization);
    return reply.code(result.status).header('cache-control', 'no-store').send(result.body);
  });

  app.post('/revoke', async (request, reply) => {
    ctx.requests.record('POST /revoke');
    const form = { ...single((request.query ?? {}) as Form), ...single((request.body ?? {}) as Form) };
    const result = ctx.oauth.revoke(form.token);
    return reply.code(result.status).send(result.body);
  });
}

/** Injected faults on the token endpoint answer like Google's front end would. */
async function applyOAuthFault(ctx: SandboxContext, reply: FastifyReply, path: string): Promise<boolean> {
  const fault = ctx.faults.take('oauth', path, undefined);
  if (!fault) return false;
  if (await sufferFault(fault, ctx.hanging)) {
    reply.code(504).send({ error: 'timeout' });
    return true;
  }
  if (!fault.status) return false;
  reply.code(fault.status).send(injectedStatus(fault.status).toBody());
  return true;
}
