/**
 * Records audited routes after a successful response (2xx/3xx). A route opts in with
 * `config: { audit: '<action>' }` (src/audit/actions.ts). What is recorded:
 * - who: the principal (subject and actor), the request id and the client IP;
 * - which ids: the route's `:id` / `:sync_id` params, or for a list read the ids in the answer
 *   (`items[].id`, FHIR `entry[].resource.id`, `integrations[].id`, a single object's `id`),
 *   taken from the reply object before serialization (no JSON parsing), with their count; a
 *   route that sends JSON it rendered itself sets `req.auditIds`; a streamed answer sets
 *   `req.auditCount` (the export's row count once it is sent).
 * Never values: the payload is only looked at for ids.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AUDIT_ACTIONS, type AuditAction, isAuditAction, isExplicitAction } from './actions.ts';
import type { Audit } from './audit.service.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Record this route in the audit trail (src/audit/actions.ts). */
    audit?: AuditAction;
  }
  interface FastifyRequest {
    /** For streamed answers (exports): how many items were sent, read when the response is done. */
    auditCount: (() => number) | null;
    /** For answers sent as rendered JSON (no reply object to read them from): the ids listed. */
    auditIds: string[] | null;
  }
}

/** At most this many ids per event; `item_count` still says how many there were. */
const MAX_IDS = 500;

export function registerAuditHooks(app: FastifyInstance, audit: Audit): void {
  const answered = new WeakMap<FastifyRequest, string[]>();
  app.decorateRequest('auditCount', null);
  app.decorateRequest('auditIds', null);

  app.addHook('preSerialization', async (req, _reply, payload) => {
    if (actionOf(req) && payload !== null && typeof payload === 'object') answered.set(req, idsIn(payload));
    return payload;
  });

  app.addHook('onResponse', async (req, reply) => {
    const action = actionOf(req);
    if (!action || isExplicitAction(action) || reply.statusCode >= 400 || !req.principal) return;
    const fromParams = paramIds(req.params);
    const listed = req.auditIds ?? answered.get(req);
    const ids = fromParams.length > 0 ? fromParams : (listed ?? []);
    audit.record({
      user_id: req.principal.userId,
      actor_user_id: req.principal.userId,
      action,
      resource_type: AUDIT_ACTIONS[action].resourceType,
      resource_ids: ids.slice(0, MAX_IDS),
      item_count: req.auditCount
        ? req.auditCount()
        : fromParams.length === 0 && listed
          ? listed.length
          : null,
      request_id: req.id,
      ip: req.ip ?? null,
    });
  });
}

function actionOf(req: FastifyRequest): AuditAction | undefined {
  const action = req.routeOptions?.config?.audit;
  return isAuditAction(action) ? action : undefined;
}

function paramIds(params: unknown): string[] {
  if (!params || typeof params !== 'object') return [];
  const p = params as Record<string, unknown>;
  return [p.id, p.sync_id].filter((v): v is string => typeof v === 'string');
}

function idsIn(payload: object): string[] {
  const p = payload as Record<string, unknown>;
  const from = (list: unknown, pick: (x: Record<string, unknown>) => unknown): string[] =>
    Array.isArray(list)
      ? list
          .map((x) => (x && typeof x === 'object' ? pick(x as Record<string, unknown>) : undefined))
          .filter((id): id is string => typeof id === 'string')
      : [];
  if (Array.isArray(p.items)) return from(p.items, (x) => x.id);
  if (p.resourceType === 'Bundle')
    return from(p.entry, (e) => (e.resource as { id?: unknown } | undefined)?.id);
  if (Array.isArray(p.integrations)) return from(p.integrations, (x) => x.id);
  if (typeof p.id === 'string') return [p.id];
  if (typeof p.sync_id === 'string') return [p.sync_id];
  return [];
}
