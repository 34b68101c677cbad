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
    trigger: Type.String({
      description:
        'what started the run: manual (a request), scheduled, webhook (the vendor announced new data) or backfill (the first sync after connecting)',
    }),
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
        progress: Type.Union(
          [
            Type.Object({
              types_done: Type.Integer(),
              types_total: Type.Integer(),
              days_done: Type.Integer(),
              days_total: Type.Integer(),
            }),
            Type.Null(),
          ],
          {
            description:
              'data types finished and local days read, of those planned (as the sync.progress event); null before the run is planned',
          },
        ),
      }),
    ),
  },
  {
    $id: 'SyncResult',
    examples: [
      {
        sync_id: 's-0c9b8a7d6e5f',
        status: 'succeeded',
        trigger: 'manual',
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
            progress: { types_done: 9, types_total: 9, days_done: 63, days_total: 63 },
          },
        ],
      },
    ],
  },
);

const HistoryQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })) },
  { additionalProperties: false },
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
          'Answers at once with the run to poll (GET /health/sync/{sync_id}). 409 VENDOR_NOT_CONNECTED when nothing is connected. While a run of the same integration is queued or running, answers with that run (same sync_id). Starting a new run counts against SYNC_TRIGGERS_PER_MINUTE per user (429 with Retry-After beyond it); 503 JOBS_UNAVAILABLE when the job queue cannot be reached.',
        response: {
          202: Type.Object(
            {
              sync_id: Type.String(),
              status: Type.Union([Type.Literal('queued'), Type.Literal('running')]),
            },
            { examples: [{ sync_id: 's-0c9b8a7d6e5f', status: 'queued' }] },
          ),
          409: ProblemSchema,
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
        response: { 200: SyncResultSchema, 409: ProblemSchema, ...triggerErrors },
      },
    },
    async (req) => sync.syncNow(principalOf(req)),
  );

  app.get<{ Querystring: Static<typeof HistoryQuery> }>(
    '/health/sync',
    {
      config: { audit: 'health.sync.read' },
      schema: {
        tags,
        security,
        summary: 'Recent syncs',
        description:
          'The caller’s newest runs first (limit, default 20, at most 100), each as GET /health/sync/{sync_id} answers it, with what started it in `trigger`.',
        querystring: HistoryQuery,
        response: {
          200: Type.Object(
            { items: Type.Array(SyncResultSchema) },
            { examples: [{ items: (SyncResultSchema as { examples?: unknown[] }).examples ?? [] }] },
          ),
          400: ProblemSchema,
          ...errors,
        },
      },
    },
    async (req) => ({ items: await sync.listResults(principalOf(req), req.query.limit ?? 20) }),
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
