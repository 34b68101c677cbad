// The Withings API surface under /withings: one URL per service, the operation in `action`, GET
// query or POST form, every answer an envelope on HTTP 200. Order of checks: injected fault, the
// app's rate limit, unknown action (2554), token (401), scope (214), then the action itself.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sufferFault } from '../admin/faults.ts';
import type { DataAction, Json } from './api/call.ts';
import { MEASURE_ACTIONS } from './api/measure.ts';
import { MEASURE_V2_ACTIONS } from './api/measure-v2.ts';
import { NOTIFY_ACTIONS } from './api/notify.ts';
import { type AppAction, OAUTH2_ACTIONS, SIGNATURE_ACTIONS } from './api/oauth2.ts';
import { SLEEP_ACTIONS } from './api/sleep.ts';
import { HEART_ACTIONS, USER_ACTIONS } from './api/user.ts';
import type { WithingsContext } from './context.ts';
import { invalidToken, missingScope, ok, tooManyRequests, unknownAction, WithingsError } from './envelope.ts';
import { type ActiveWithingsFault, faultText } from './faults.ts';
import { flatten } from './params.ts';
import type { Params } from './withings.types.ts';

export const WITHINGS_PREFIX = '/withings';

type Service =
  | { kind: 'user'; actions: Record<string, DataAction> }
  | { kind: 'app'; actions: Record<string, AppAction> };

const SERVICES: Record<string, Service> = {
  '/measure': { kind: 'user', actions: MEASURE_ACTIONS },
  '/v2/measure': { kind: 'user', actions: MEASURE_V2_ACTIONS },
  '/v2/sleep': { kind: 'user', actions: SLEEP_ACTIONS },
  '/v2/user': { kind: 'user', actions: USER_ACTIONS },
  '/v2/heart': { kind: 'user', actions: HEART_ACTIONS },
  '/notify': { kind: 'user', actions: NOTIFY_ACTIONS },
  '/v2/oauth2': { kind: 'app', actions: OAUTH2_ACTIONS },
  '/v2/signature': { kind: 'app', actions: SIGNATURE_ACTIONS },
};

const PROXY_TEXT: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

/** The kind of page nginx sends when the service behind it fails: HTML, not JSON. */
function proxyPage(status: number): string {
  const title = `${status} ${PROXY_TEXT[status] ?? 'Error'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : undefined;
}

export function registerWithingsApi(app: FastifyInstance, ctx: WithingsContext): void {
  void app.register(
    async (scope) => {
      // Only form bodies carry parameters; JSON or anything else reaches the actions as no parameters.
      scope.removeContentTypeParser('application/json');
      scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
      for (const [path, service] of Object.entries(SERVICES)) {
        scope.route({
          method: ['GET', 'POST'],
          url: path,
          handler: (request, reply) => serve(ctx, path, service, request, reply),
        });
      }
    },
    { prefix: WITHINGS_PREFIX },
  );
}

async function serve(
  ctx: WithingsContext,
  path: string,
  service: Service,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const form = flatten(typeof request.body === 'object' ? request.body : undefined);
  const params: Params = { ...flatten(request.query), ...form };
  const action = params.action;
  // NOTE: the token may come as a Bearer header or an access_token parameter (docs/withings.md, The sandbox emulator).
  const token = service.kind === 'user' ? (bearer(request) ?? params.access_token) : undefined;
  const caller = service.kind === 'user' ? ctx.oauth.peekAccess(token) : undefined;
  const personId = caller?.ok ? caller.personId : undefined;
  ctx.requests.record(`${path} ${action ?? ''}`, personId, token);

  const send = (envelope: { status: number; body: Json; error?: string }) => {
    ctx.requests.answered(String(envelope.status));
    return reply.type('application/json; charset=utf-8').send(envelope);
  };

  const fault = ctx.faults.take(path, action, personId);
  if (fault) {
    const sent = await sendFault(ctx, fault, reply, send);
    if (sent) return sent;
  }
  const clientId =
    caller?.clientId ?? (ctx.oauth.clients.has(params.client_id ?? '') ? params.client_id : undefined);
  if (clientId && !ctx.limiter.allow(clientId, ctx.now().getTime()))
    return send(tooManyRequests().toEnvelope());
  try {
    if (service.kind === 'app') {
      const run = action ? service.actions[action] : undefined;
      if (!run) throw unknownAction(path, action);
      return send(ok(await run(ctx, params, form)));
    }
    const spec = action ? service.actions[action] : undefined;
    if (!spec) throw unknownAction(path, action);
    const check = ctx.oauth.checkAccess(token);
    if (!check.ok) throw invalidToken();
    if (spec.scope && !check.scopes.includes(spec.scope)) throw missingScope(spec.scope);
    const person = ctx.people.get(check.personId);
    if (!person) throw invalidToken();
    return send(ok(await spec.run({ ctx, params, person, clientId: check.clientId, scopes: check.scopes })));
  } catch (error) {
    if (error instanceof WithingsError) return send(error.toEnvelope());
    throw error;
  }
}

/** Answers an injected fault; undefined when it only added latency and the call goes on. */
async function sendFault(
  ctx: WithingsContext,
  fault: ActiveWithingsFault,
  reply: FastifyReply,
  send: (envelope: { status: number; body: Json; error?: string }) => FastifyReply,
): Promise<FastifyReply | undefined> {
  const timing = {
    remaining: 0,
    ...(fault.latencyMs ? { latencyMs: fault.latencyMs } : {}),
    ...(fault.timeout ? { timeout: true } : {}),
  };
  if (await sufferFault(timing, ctx.sandbox.hanging, reply.raw)) {
    ctx.requests.answered('http-504');
    return reply.code(504).type('text/html').send(proxyPage(504));
  }
  if (fault.httpStatus) {
    ctx.requests.answered(`http-${fault.httpStatus}`);
    return reply.code(fault.httpStatus).type('text/html').send(proxyPage(fault.httpStatus));
  }
  if (fault.status === undefined) return undefined;
  return send({ status: fault.status, body: fault.body ?? {}, error: faultText(fault) });
}
