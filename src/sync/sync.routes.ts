import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import Type from 'typebox';
import { principalOf } from '../http/auth-hook.ts';
import { ProblemSchema } from '../http/problem.ts';
import type { SyncService } from './sync.service.ts';

const tags = ['Health data'];
const security = [{ bearerAuth: [] }];
const Status = Type.Union(
  ['queued', 'running', 'succeeded', 'partial', 'failed'].map((s) => Type.Literal(s)),
);
const NullableDate = Type.Union([Type.String(), Type.Null()]);

export const SyncResultSchema = Type.Object(
  {
    sync_id: Type.String(),
    status: Status,
    started_at: Type.String({ format: 'date-time' }),
    finished_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    integrations: Type.Array(
      Type.Object({
        vendor: Type.String(),
        status: Status,
        window: Type.Object(
          { start: NullableDate, end: NullableDate },
          { description: 'local dates synced, inclusive' },
        ),
        requests: Type.Integer({ description: 'vendor API requests made' }),
        fetched: Type.Integer({ description: 'data points (or daily rollup windows) received' }),
        created: Type.Integer(),
        updated: Type.Integer(),
        unchanged: Type.Integer(),
        errors: Type.Array(Type.Object({ code: Type.String(), message: Type.String() })),
      }),
    ),
  },
  {
    $id: 'SyncResult',
    examples: [
      {
        sync_id: 's-0c9b8a7d6e5f',
        status: 'succeeded',
        started_at: '2026-11-02T08:15:00.000Z',
        finished_at: '2026-11-02T08:15:04.000Z',
        integrations: [
          {
            vendor: 'fitbit',
            status: 'succeeded',
            window: { start: '2026-10-26', end: '2026-11-02' },
            requests: 12,
            fetched: 340,
            created: 28,
            updated: 2,
            unchanged: 310,
            errors: [],
          },
        ],
      },
    ],
  },
);

const SyncParams = Type.Object({ sync_id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const errors = { 401: ProblemSchema };
/** A request that would start a run: over the per-user limit, or the job queue unreachable. */
const triggerErrors = { ...errors, 429: ProblemSchema, 503: ProblemSchema };

/** Protected: start a sync, run one now, read a result. */
export function syncRoutes(app: FastifyInstance, sync: SyncService): void {
  app.post(
    '/health/sync',
    {
      config: { audit: 'health.sync' },
      schema: {
        tags,
        security,
        summary: 'Sync every connected vendor in the background',
        description:
          'Answers at once with the run to poll (GET /health/sync/{sync_id}). While a run of the same integration is queued or running, answers with that run (same sync_id). Starting a new run counts against SYNC_TRIGGERS_PER_MINUTE per user (429 with Retry-After beyond it); 503 JOBS_UNAVAILABLE when the job queue cannot be reached.',
        response: {
          202: Type.Object(
            {
              sync_id: Type.String(),
              status: Type.Union([Type.Literal('queued'), Type.Literal('running')]),
            },
            { examples: [{ sync_id: 's-0c9b8a7d6e5f', status: 'queued' }] },
          ),
          ...triggerErrors,
        },
      },
    },
    async (req, reply) => reply.code(202).send(await sync.requestSync(principalOf(req))),
  );

  app.post(
    '/health/sync/immediate',
    {
      config: { audit: 'health.sync' },
      schema: {
        tags,
        security,
        summary: 'Sync now and answer with the result',
        description:
          'Waits for the run; status running when it takes longer than about 25 s (poll GET /health/sync/{sync_id}). Joins a queued or running run instead of starting one; limits as POST /health/sync.',
        response: { 200: SyncResultSchema, ...triggerErrors },
      },
    },
    async (req) => sync.syncNow(principalOf(req)),
  );

  app.get<{ Params: Static<typeof SyncParams> }>(
    '/health/sync/:sync_id',
    {
      config: { audit: 'health.sync.read' },
      schema: {
        tags,
        security,
        summary: 'A sync result',
        description: 'The run and what it did per vendor; only the caller’s own runs (404 otherwise).',
        params: SyncParams,
        response: { 200: SyncResultSchema, 404: ProblemSchema, ...errors },
      },
    },
    async (req) => sync.getResult(principalOf(req), req.params.sync_id),
  );
}
