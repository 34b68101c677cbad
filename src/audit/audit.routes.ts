import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { principalOf } from '../http/auth-hook.ts';
import type { Audit } from './audit.service.ts';

const tags = ['Accounts'];
const security = [{ bearerAuth: [] }];

export const AuditQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

const AuditEventSchema = Type.Object({
  id: Type.Integer(),
  action: Type.String(),
  resource_type: Type.Union([Type.String(), Type.Null()]),
  resource_ids: Type.Array(Type.String()),
  item_count: Type.Union([Type.Integer(), Type.Null()]),
  actor_user_id: Type.Union([Type.Integer(), Type.Null()]),
  at: Type.String({ format: 'date-time' }),
  request_id: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
});

const AuditPageSchema = Type.Object({
  items: Type.Array(AuditEventSchema),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
  limit: Type.Integer(),
});

/** GET /auth/me/audit: the person's own trail, newest first. */
export function auditRoutes(app: FastifyInstance, audit: Audit): void {
  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/auth/me/audit',
    { schema: { tags, security, querystring: AuditQuery, response: { 200: AuditPageSchema } } },
    async (req) => audit.list(principalOf(req), req.query),
  );
}
