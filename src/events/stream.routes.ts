/**
 * GET /events/stream (protected scope, docs/events.md §7): the caller's events as Server-Sent
 * Events while the connection stays open. The reply is hijacked and written by hand (no
 * compression, which would buffer the stream), with the headers the hooks already set.
 */
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Principal } from '../auth/auth.service.ts';
import { principalOf } from '../http/auth-hook.ts';
import { ProblemSchema } from '../http/problem.ts';
import type { EventStreams } from './stream.service.ts';

const EXAMPLE = [
  ': connected',
  '',
  'id: evt_5f0c1d2e3a4b4c5d8e9f0a1b2c3d4e5f',
  'event: sync.completed',
  'data: {"id":"evt_5f0c1d2e3a4b4c5d8e9f0a1b2c3d4e5f","type":"sync.completed","timestamp":"2026-03-01T08:00:00.000Z","data":{"user_id":7,"sync_id":"0b6f3c9e-1f2a-4d1e-9c55-7d3e2a1b4c5d","vendor":"withings","status":"succeeded","created":12,"updated":0,"unchanged":3,"errors":[]}}',
  '',
  'event: sync.progress',
  'data: {"type":"sync.progress","data":{"sync_id":"0b6f3c9e-1f2a-4d1e-9c55-7d3e2a1b4c5d","vendor":"withings","types_done":1,"types_total":3,"days_done":40,"days_total":90}}',
  '',
  ': ping',
  '',
  '',
].join('\n');

const Headers = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({
      maxLength: 100,
      description: 'Resume after this event id (sent by EventSource on reconnect).',
    }),
  ),
});

export function streamRoutes(
  app: FastifyInstance,
  streams: EventStreams,
  stillSignedIn: (principal: Principal) => Promise<boolean>,
): void {
  app.addHook('preClose', async () => streams.closeAll());

  app.get(
    '/events/stream',
    {
      schema: {
        tags: ['Webhooks'],
        security: [{ bearerAuth: [] }],
        summary: 'Live event stream',
        description:
          'The caller’s events as Server-Sent Events, as they are committed: `id:` (the event id), `event:` (its type) and `data:` (the webhook body with its id). `Last-Event-ID` resumes after that event (events are kept 30 days). `sync.progress` messages (not stored, no id) report a running sync. A `: ping` comment comes every 15 s. Send the bearer token in the Authorization header (use fetch with a stream reader: EventSource cannot send headers).',
        headers: Headers,
        response: {
          200: {
            description: 'The stream (stays open)',
            content: { 'text/event-stream': { schema: Type.String(), example: EXAMPLE } },
          },
          401: ProblemSchema,
          429: ProblemSchema,
        },
      },
    },
    async (req, reply) => {
      const principal = principalOf(req);
      const raw = reply.raw;
      const lastId = req.headers['last-event-id'];
      // What the first read finds is held until the head is written.
      let held: string[] | undefined = [];
      const stream = await streams.open(
        principal.userId,
        typeof lastId === 'string' ? lastId : undefined,
        {
          write: (text) => {
            if (held) held.push(text);
            else if (!raw.writableEnded) raw.write(text);
          },
          end: () => {
            if (!raw.writableEnded) raw.end();
          },
        },
        // A logout or a revoked session ends the stream too, not only the next request.
        { stillAllowed: () => stillSignedIn(principal) },
      );
      reply.hijack();
      raw.on('close', () => stream.close());
      if (raw.destroyed) stream.close();
      const headers: Record<string, string | number | string[]> = {};
      for (const [name, value] of Object.entries(reply.getHeaders()))
        if (value !== undefined && name !== 'content-length') headers[name] = value;
      raw.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
      raw.write(`: connected\n\n${held.join('')}`);
      held = undefined;
    },
  );
}
