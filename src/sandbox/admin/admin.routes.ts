// /_admin/...: the admin operations over HTTP, for scripts and the standalone sandbox.
// Loopback callers only: the sandbox may listen on a LAN address in demo mode.

import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SimulatedType } from '../catalog.ts';
import type { SandboxContext } from '../context.ts';
import { buildGroundTruth } from '../ground-truth.ts';
import type { CreatePersonInput } from '../people/people.ts';
import type { NotifyInput } from '../webhooks/webhook.types.ts';
import type { SandboxAdmin } from './admin.ts';
import type { FaultSpec } from './faults.ts';

type Json = Record<string, unknown>;

export const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function fail(reply: FastifyReply, status: number, error: unknown): FastifyReply {
  return reply.code(status).send({ error: error instanceof Error ? error.message : String(error) });
}

export function registerAdminRoutes(app: FastifyInstance, ctx: SandboxContext, admin: SandboxAdmin): void {
  void app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request, reply) => {
        if (!LOOPBACK.has(request.socket.remoteAddress ?? ''))
          return fail(reply, 403, 'admin API is loopback only');
      });
      scope.setErrorHandler((error, _request, reply) => fail(reply, 400, error));

      scope.get('/people', async () => ({ people: ctx.people.list() }));
      scope.post('/people', async (request) => ctx.people.create((request.body ?? {}) as CreatePersonInput));
      scope.get('/people/:id/ground-truth', async (request) => {
        const { id } = request.params as { id: string };
        const { points: _points, ...truth } = buildGroundTruth(ctx.people, id, ctx.now().getTime());
        return truth;
      });
      scope.get('/people/:id/points', async (request) => {
        const { id } = request.params as { id: string };
        const { type, date } = request.query as { type: SimulatedType; date: string };
        return { dataPoints: buildGroundTruth(ctx.people, id, ctx.now().getTime()).points(type, date) };
      });
      scope.post('/people/:id/revoke', async (request) => {
        const { id } = request.params as { id: string };
        const body = (request.body ?? {}) as { clientId?: string; notify?: boolean };
        return { revoked: await admin.revokeGrant(id, body) };
      });
      scope.post('/people/:id/not-linked', async (request) => {
        const { id } = request.params as { id: string };
        const { notLinked = true } = (request.body ?? {}) as { notLinked?: boolean };
        admin.markNotLinked(id, notLinked);
        return { personId: id, notLinked };
      });
      scope.post('/people/:id/days/:date/rewrite', async (request) => {
        const { id, date } = request.params as { id: string; date: string };
        return { truth: await admin.rewriteDay(id, date, (request.body ?? {}) as Json) };
      });
      scope.post('/consent-person', async (request) => {
        const { personId } = (request.body ?? {}) as { personId?: string };
        admin.setConsentPerson(personId);
        return { personId: personId ?? null };
      });
      scope.get('/faults', async () => ({ faults: ctx.faults.list() }));
      scope.post('/faults', async (request) => {
        admin.injectFaults((request.body ?? {}) as FaultSpec | FaultSpec[]);
        return { faults: ctx.faults.list() };
      });
      scope.delete('/faults', async () => {
        admin.clearFaults();
        return { faults: [] };
      });
      scope.post('/rate-limit', async (request) => {
        const { perMinute } = (request.body ?? {}) as { perMinute: number };
        admin.setRateLimit(perMinute);
        return { perMinute };
      });
      scope.get('/requests', async () => admin.requestLog());
      scope.delete('/requests', async () => {
        admin.resetRequestLog();
        return {};
      });
      scope.post('/notify', async (request) => ({
        deliveries: await admin.notify(request.body as NotifyInput),
      }));
      scope.post('/webhooks/deliver', async () => ({ deliveries: await admin.deliverPendingWebhooks() }));
      scope.get('/webhooks/deliveries', async () => ({ deliveries: admin.webhookDeliveries() }));
      scope.get('/webhooks/keys', async () => ctx.webhooks.signer.publicKeys());
    },
    { prefix: '/_admin' },
  );
}
