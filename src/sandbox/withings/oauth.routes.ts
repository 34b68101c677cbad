// account.withings.com under /withings: GET /oauth2_user/authorize2 (consent page, or straight back
// with a code under autoConsent or mode=demo) and the consent form's POST.

import type { FastifyInstance } from 'fastify';
import { WITHINGS_PREFIX } from './api.routes.ts';
import { renderWithingsConsent, renderWithingsError } from './consent-page.ts';
import type { WithingsContext } from './context.ts';
import { flatten } from './params.ts';

const AUTHORIZE = `${WITHINGS_PREFIX}/oauth2_user/authorize2`;
const CONSENT = `${AUTHORIZE}/consent`;

function consentPerson(ctx: WithingsContext): string | undefined {
  for (const id of [ctx.consentPersonId, ctx.sandbox.consentPersonId])
    if (id && ctx.people.get(id)) return id;
  return undefined;
}

export function registerWithingsOAuthRoutes(app: FastifyInstance, ctx: WithingsContext): void {
  app.get(AUTHORIZE, async (request, reply) => {
    ctx.requests.record('/oauth2_user/authorize2', undefined, undefined);
    const outcome = ctx.oauth.authorize(flatten(request.query));
    if (outcome.kind === 'error-page')
      return reply.code(outcome.status).type('text/html').send(renderWithingsError(outcome.message));
    const pending = outcome.pending;
    if (pending.demo)
      return reply.redirect(ctx.oauth.approve(pending.id, ctx.demoPersonId(), pending.scopes), 302);
    if (ctx.autoConsent) {
      const personId = consentPerson(ctx) ?? ctx.people.list()[0]?.id ?? ctx.people.create().id;
      return reply.redirect(ctx.oauth.approve(pending.id, personId, pending.scopes), 302);
    }
    return reply
      .type('text/html')
      .send(renderWithingsConsent(pending, ctx.people.list(), consentPerson(ctx), CONSENT));
  });

  app.post(CONSENT, async (request, reply) => {
    const raw = (request.body ?? {}) as Record<string, unknown>;
    const form = flatten(raw);
    const pending = ctx.oauth.pending(form.request_id ?? '');
    if (!pending)
      return reply.code(400).type('text/html').send(renderWithingsError('The sign-in request expired.'));
    if (form.action !== 'allow') return reply.redirect(ctx.oauth.deny(pending), 302);
    if (!form.person || !ctx.people.get(form.person))
      return reply.code(400).type('text/html').send(renderWithingsError('Choose an account.'));
    const scopes =
      raw.scope === undefined ? [] : Array.isArray(raw.scope) ? raw.scope.map(String) : [String(raw.scope)];
    return reply.redirect(ctx.oauth.approve(pending.id, form.person, scopes), 302);
  });
}
