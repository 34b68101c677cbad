/**
 * PHR-App-only aliases (docs/mobile-app.md "What the app calls", rows 9-10), inside the protected scope.
 *
 *   POST /vendors/{vendor}/sync  -> 202 { vendor, sync_job_id, sync_status: 'queued' | 'running', ... }
 *   GET  /sync/status            -> 200 { user_id, vendors: [{ vendor, last_job_status, ... }] }
 *
 * The app POSTs the sync trigger with `Content-Type: application/json` and no body. Fastify's JSON
 * parser refuses that (FST_ERR_CTP_EMPTY_JSON_BODY), so this plugin's own scope replaces the parser
 * with one that reads an empty body as "no body"; every other route keeps the strict parser.
 */
import type { FastifyInstance } from 'fastify';
import Type, { type Static, type TSchema } from 'typebox';
import { principalOf } from '../http/auth-hook.ts';
import { ProblemSchema } from '../http/problem.ts';
import { jsonBodyParser } from '../http/request-limits.ts';
import type { MobileService } from './mobile.service.ts';

const tags = ['PHR-App'];
const security = [{ bearerAuth: [] }];
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const AppJobStatus = Type.Union(['queued', 'running', 'success', 'failed'].map((s) => Type.Literal(s)));

const VendorParams = Type.Object({ vendor: Type.String({ pattern: '^[a-z0-9_-]{1,40}$' }) });
const StatusQuery = Type.Object(
  { vendor: Type.Optional(Type.String({ maxLength: 40 })) },
  { additionalProperties: false },
);

const SyncTriggeredSchema = Type.Object(
  {
    vendor: Type.String(),
    sync_job_id: Type.String(),
    sync_id: Type.String(),
    sync_status: Type.Union([Type.Literal('queued'), Type.Literal('running')]),
    status: Type.Union([Type.Literal('queued'), Type.Literal('running')]),
    message: Type.String(),
  },
  {
    examples: [
      {
        vendor: 'fitbit',
        sync_job_id: 's-0c9b8a7d6e5f',
        sync_id: 's-0c9b8a7d6e5f',
        sync_status: 'queued',
        status: 'queued',
        message: 'Sync queued',
      },
    ],
  },
);

const SyncStatusSchema = Type.Object(
  {
    user_id: Type.Integer(),
    vendors: Type.Array(
      Type.Object({
        vendor: Type.String(),
        vendor_user_id: Nullable(Type.String()),
        integration_status: Type.String(),
        connected: Type.Boolean(),
        last_successful_sync_at: Nullable(Type.String({ format: 'date-time' })),
        sync_status: Type.Union([AppJobStatus, Type.Literal('idle')]),
        sync_job_id: Nullable(Type.String()),
        last_job_status: Nullable(AppJobStatus),
        last_job_error: Nullable(Type.String()),
        last_job_error_code: Nullable(Type.String()),
        last_job_started_at: Nullable(Type.String({ format: 'date-time' })),
        last_job_finished_at: Nullable(Type.String({ format: 'date-time' })),
        message: Type.String(),
      }),
    ),
  },
  {
    examples: [
      {
        user_id: 1,
        vendors: [
          {
            vendor: 'fitbit',
            vendor_user_id: '4KJ9XC',
            integration_status: 'connected',
            connected: true,
            last_successful_sync_at: '2026-11-02T08:15:04.000Z',
            sync_status: 'success',
            sync_job_id: 's-0c9b8a7d6e5f',
            last_job_status: 'success',
            last_job_error: null,
            last_job_error_code: null,
            last_job_started_at: '2026-11-02T08:15:00.000Z',
            last_job_finished_at: '2026-11-02T08:15:04.000Z',
            message: 'Last sync succeeded',
          },
        ],
      },
    ],
  },
);

export async function mobileRoutes(scope: FastifyInstance, service: MobileService): Promise<void> {
  await scope.register(async (mobile) => {
    mobile.removeContentTypeParser('application/json');
    mobile.addContentTypeParser(
      'application/json',
      { parseAs: 'string' },
      jsonBodyParser(mobile, { acceptEmpty: true }),
    );

    mobile.post<{ Params: Static<typeof VendorParams> }>(
      '/vendors/:vendor/sync',
      {
        config: { audit: 'health.sync' },
        schema: {
          tags,
          security,
          summary: 'Start a sync of one vendor',
          description:
            'For the PHR-App: an empty body with a JSON content type is accepted. Same rule as POST /health/sync: a queued or running run is answered (same sync_job_id), 429 over the per-user limit, 503 without a job queue.',
          params: VendorParams,
          response: {
            202: SyncTriggeredSchema,
            404: ProblemSchema,
            409: ProblemSchema,
            422: ProblemSchema,
            429: ProblemSchema,
            503: ProblemSchema,
          },
        },
      },
      async (req, reply) =>
        reply.code(202).send(await service.triggerSync(principalOf(req), req.params.vendor)),
    );

    mobile.get<{ Querystring: Static<typeof StatusQuery> }>(
      '/sync/status',
      {
        config: { audit: 'health.sync.read' },
        schema: {
          tags,
          security,
          summary: 'Latest sync per vendor',
          description:
            'In the statuses the PHR-App understands (queued, running, success, failed; idle before the first run).',
          querystring: StatusQuery,
          response: { 200: SyncStatusSchema },
        },
      },
      async (req) => service.syncStatus(principalOf(req), { vendor: req.query.vendor }),
    );
  });
}
