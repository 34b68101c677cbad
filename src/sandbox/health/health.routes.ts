// The Google Health API v4 surface. Paths hold literal colons (`dataPoints:reconcile`),
// so one catch-all route parses the raw path itself (docs/google-health.md §3.1, §12).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sufferFault } from '../admin/faults.ts';
import {
  type DataTypeInfo,
  findDataType,
  isHealthScope,
  readScopesFor,
  type ScopeFamily,
  type SimulatedType,
} from '../catalog.ts';
import type { SandboxContext } from '../context.ts';
import {
  ApiError,
  accountNotLinked,
  credentialsMissing,
  injectedStatus,
  invalidArgument,
  invalidCredentials,
  rateLimited,
  scopeInsufficient,
} from '../lib/errors.ts';
import type { PersonProfile } from '../people/model.ts';
import { type ListQuery, listDataPoints } from './list.ts';
import { handleProjects } from './projects.ts';
import { dailyRollUp, rollUp } from './rollup.ts';
import { toDataPoint } from './serialize.ts';
import { identityOf, pairedDevicesOf, profileOf, settingsOf } from './users.ts';

type Json = Record<string, unknown>;

export function sendApiError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(error.httpStatus).headers(error.headers).send(error.toBody());
}

function sendNotFound(reply: FastifyReply, path: string): FastifyReply {
  // NOTE: Google's front end answers unknown URLs with an HTML 404 page (troubleshooting, §7).
  return reply
    .code(404)
    .type('text/html; charset=UTF-8')
    .send(
      `<!DOCTYPE html><html lang=en><title>Error 404 (Not Found)!!1</title><p><b>404.</b> <ins>That’s an error.</ins><p>The requested URL <code>${path.replace(/[<>&]/g, '')}</code> was not found on this server. <ins>That’s all we know.</ins>`,
    );
}

function parseBody(raw: unknown): Json {
  if (typeof raw !== 'string' || raw.trim() === '') return {};
  try {
    const body = JSON.parse(raw) as unknown;
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Json;
  } catch {
    // reported below
  }
  throw invalidArgument('Invalid JSON payload received. Unexpected token.');
}

function bearerToken(request: FastifyRequest, query: URLSearchParams): string | undefined {
  const header = request.headers.authorization;
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim();
  // NOTE: access_token is one of the standard system query parameters (DISC, §3.1).
  return query.get('access_token') ?? undefined;
}

interface Route {
  kind:
    | 'identity'
    | 'profile'
    | 'settings'
    | 'pairedDevices'
    | 'list'
    | 'get'
    | 'reconcile'
    | 'dailyRollUp'
    | 'rollUp';
  method: 'GET' | 'POST';
  type?: DataTypeInfo;
  pointId?: string;
}

/** Matches the part after /v4/users/{user}/; undefined means 404. Throws 400 for unknown types. */
function matchUserRoute(rest: string[]): Route | undefined {
  const [head, typeId, collection, pointId, extra] = rest;
  if (
    rest.length === 1 &&
    (head === 'identity' || head === 'profile' || head === 'settings' || head === 'pairedDevices')
  ) {
    return { kind: head, method: 'GET' };
  }
  if (head !== 'dataTypes' || !typeId || !collection || extra !== undefined) return undefined;
  const [collectionName, op] = collection.split(':');
  if (collectionName !== 'dataPoints') return undefined;
  const type = findDataType(typeId);
  // NOTE: an unknown type id answered 400 "Invalid data type ID" live (third party, §7).
  if (!type) throw invalidArgument('Invalid data type ID', 'INVALID_PARENT_DATA_TYPE_COLLECTION');
  if (pointId !== undefined)
    return op === undefined ? { kind: 'get', method: 'GET', type, pointId } : undefined;
  if (op === undefined) return { kind: 'list', method: 'GET', type };
  if (op === 'reconcile') return { kind: 'reconcile', method: 'GET', type };
  if (op === 'dailyRollUp') return { kind: 'dailyRollUp', method: 'POST', type };
  if (op === 'rollUp') return { kind: 'rollUp', method: 'POST', type };
  return undefined;
}

function requiredScopes(route: Route): string[] | 'any-health' {
  if (route.kind === 'identity') return 'any-health';
  const family: ScopeFamily =
    route.kind === 'profile'
      ? 'profile'
      : route.kind === 'settings' || route.kind === 'pairedDevices'
        ? 'settings'
        : (route.type?.scope ?? 'profile');
  return readScopesFor(family);
}

async function applyFault(
  ctx: SandboxContext,
  request: FastifyRequest,
  path: string,
  personId: string | undefined,
): Promise<ApiError | 'hung' | undefined> {
  const fault = ctx.faults.take('health', path, personId);
  if (!fault) return undefined;
  if (await sufferFault(fault, ctx.hanging, request.raw)) return 'hung';
  return fault.status ? injectedStatus(fault.status) : undefined;
}

function serveUser(
  ctx: SandboxContext,
  route: Route,
  person: PersonProfile,
  query: URLSearchParams,
  body: Json,
): Json {
  const now = ctx.now().getTime();
  switch (route.kind) {
    case 'identity':
      return identityOf(person);
    case 'profile':
      return profileOf(person, now);
    case 'settings':
      return settingsOf(person, now);
    case 'pairedDevices':
      return pairedDevicesOf(person, now);
    case 'get': {
      const type = route.type as DataTypeInfo;
      const point =
        type.identifiable && type.simulated
          ? ctx.people.visiblePoints(person, type.id as SimulatedType).find((p) => p.id === route.pointId)
          : undefined;
      if (!point) throw new ApiError(404, 'NOT_FOUND', 'Requested entity was not found.');
      return toDataPoint(person, type, point);
    }
    case 'list':
    case 'reconcile': {
      const listQuery: ListQuery = {};
      for (const key of ['filter', 'pageSize', 'pageToken', 'dataSourceFamily'] as const) {
        const value = query.get(key);
        if (value !== null) listQuery[key] = value;
      }
      return listDataPoints(ctx.people, person, route.type as DataTypeInfo, listQuery, route.kind);
    }
    case 'dailyRollUp':
      return dailyRollUp(ctx.people, person, route.type as DataTypeInfo, body, now);
    case 'rollUp':
      return rollUp(ctx.people, person, route.type as DataTypeInfo, body, now);
  }
}

export function registerHealthRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  void app.register(async (scope) => {
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
      done(null, body),
    );
    scope.route({
      method: ['GET', 'POST', 'PATCH', 'DELETE'],
      url: '/v4/*',
      handler: async (request, reply) => {
        const url = new URL(request.url, 'http://sandbox');
        const path = url.pathname;
        // NOTE: a percent-encoded colon (%3A) gives 404 (third party, §3.1).
        if (/%3a/i.test(path)) return sendNotFound(reply, path);
        const segments = path.split('/').slice(2);
        try {
          if (segments[0] === 'projects') {
            ctx.requests.record(`${request.method} ${path}`);
            const result = await handleProjects(
              ctx,
              request.method,
              segments,
              url.searchParams,
              parseBody(request.body),
            );
            return result === undefined ? sendNotFound(reply, path) : reply.send(result);
          }
          if (segments[0] !== 'users' || segments.length < 3) return sendNotFound(reply, path);
          return await serveUsers(ctx, request, reply, path, segments, url.searchParams);
        } catch (error) {
          if (error instanceof ApiError) return sendApiError(reply, error);
          throw error;
        }
      },
    });
  });
}

async function serveUsers(
  ctx: SandboxContext,
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
  segments: string[],
  query: URLSearchParams,
): Promise<FastifyReply> {
  const token = bearerToken(request, query);
  const check = token ? ctx.oauth.checkAccessToken(token) : undefined;
  const personId = check?.ok ? check.personId : undefined;
  ctx.requests.record(`${request.method} ${path}`, personId);
  const fault = await applyFault(ctx, request, path, personId);
  if (fault === 'hung') return reply.code(504).send(injectedStatus(504).toBody());
  if (fault) return sendApiError(reply, fault);
  if (!check) return sendApiError(reply, credentialsMissing());
  if (!check.ok) return sendApiError(reply, invalidCredentials());
  const route = matchUserRoute(segments.slice(2));
  if (!route || route.method !== request.method) return sendNotFound(reply, path);
  const user = segments[1];
  // NOTE: always users/me; a numeric users/{id} was reported to give 400 (3P, §6).
  if (user !== 'me' && !(user === '-' && route.kind === 'identity')) {
    throw invalidArgument(`Invalid user resource name 'users/${user}'; use users/me.`);
  }
  const needed = requiredScopes(route);
  const granted =
    needed === 'any-health' ? check.scopes.some(isHealthScope) : needed.some((s) => check.scopes.includes(s));
  if (!granted) return sendApiError(reply, scopeInsufficient());
  if (!ctx.rateLimiter.allow(check.personId, ctx.now().getTime())) return sendApiError(reply, rateLimited());
  if (ctx.notLinked.has(check.personId)) return sendApiError(reply, accountNotLinked());
  const person = ctx.people.get(check.personId);
  // A person without a Fitbit has no Google Health profile to read.
  if (!person?.fitbit) return sendApiError(reply, accountNotLinked());
  return reply.send(serveUser(ctx, route, person, query, parseBody(request.body)));
}
