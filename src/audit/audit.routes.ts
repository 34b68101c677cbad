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

const AuditPageSchema = Type.Object(
  {
    items: Type.Array(AuditEventSchema),
    next_cursor: Type.Union([Type.String(), Type.Null()]),
    limit: Type.Integer(),
  },
  {
    examples: [
      {
        items: [
          {
            id: 42,
            action: 'health.observations.list',
            resource_type: 'Observation',
            resource_ids: ['o-1f2e3d4c'],
            item_count: 1,
            actor_user_id: 1,
            at: '2026-11-02T08:15:00.000Z',
            request_id: '5d0c3e1e-6f1e-4c55-9d43-0b6f1f3c2a10',
            ip: '203.0.113.7',
          },
        ],
        next_cursor: null,
        limit: 50,
      },
    ],
  },
);

/** GET /auth/me/audit: the person's own trail, newest first. */
export function auditRoutes(app: FastifyInstance, audit: Audit): void {
  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/auth/me/audit',
    {
      schema: {
        tags,
        security,
        summary: 'The account’s audit trail',
        description:
          'Who read, changed or exported the person’s data, newest first; page on with next_cursor.',
        querystring: AuditQuery,
        response: { 200: AuditPageSchema },
      },
    },
    async (req) => audit.list(principalOf(req), req.query),
  );
}
