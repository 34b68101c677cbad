// /_admin/withings/...: the Withings admin operations over HTTP, for scripts and the standalone
// sandbox. Loopback callers only, like the Google admin routes.

import type { FastifyInstance, FastifyReply } from 'fastify';
import { LOOPBACK } from '../admin/admin.routes.ts';
import type { WithingsAdmin } from './admin.ts';
import type { WithingsContext } from './context.ts';
import type { MeasureGroupInput } from './data/edits.ts';
import type { WithingsFaultSpec } from './faults.ts';
import { buildWithingsGroundTruth } from './ground-truth.ts';
import type { NotifyPayload } from './withings.types.ts';

type Json = Record<string, unknown>;

function fail(reply: FastifyReply, status: number, error: unknown): FastifyReply {
  return reply.code(status).send({ error: error instanceof Error ? error.message : String(error) });
}

const notifyOption = (body: Json) => (body.notify === false ? { notify: false } : {});

export function registerWithingsAdminRoutes(
  app: FastifyInstance,
  ctx: WithingsContext,
  admin: WithingsAdmin,
): void {
  void app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request, reply) => {
        if (!LOOPBACK.has(request.socket.remoteAddress ?? ''))
          return fail(reply, 403, 'admin API is loopback only');
      });
      scope.setErrorHandler((error, _request, reply) => fail(reply, 400, error));
      const body = (raw: unknown) => (raw ?? {}) as Json;
      const person = (id: string) => {
        const found = ctx.people.get(id);
        if (!found) throw new Error(`Unknown person ${id}`);
        return found;
      };

      scope.get('/faults', async () => ({ faults: admin.faults() }));
      scope.post('/faults', async (request) => {
        admin.fault(request.body as WithingsFaultSpec | WithingsFaultSpec[]);
        return { faults: admin.faults() };
      });
      scope.delete('/faults', async () => {
        admin.clearFaults();
        return { faults: [] };
      });
      scope.get('/requests', async () => admin.requestLog());
      scope.delete('/requests', async () => {
        admin.resetRequestLog();
        return {};
      });
      scope.post('/rate-limit', async (request) => {
        const { perMinute } = body(request.body) as { perMinute: number };
        admin.setRateLimit(perMinute);
        return { perMinute };
      });
      scope.post('/consent-person', async (request) => {
        const { personId } = body(request.body) as { personId?: string };
        admin.setConsentPerson(personId);
        return { personId: personId ?? null };
      });
      scope.get('/people/:id/ground-truth', async (request) => {
        const { id } = request.params as { id: string };
        const { intraday: _i, sleepStates: _s, ...truth } = buildWithingsGroundTruth(ctx.data, person(id));
        return truth;
      });
      scope.post('/people/:id/measures', async (request) => {
        const { id } = request.params as { id: string };
        const input = body(request.body);
        return {
          group: await admin.addMeasureGroup(id, input as unknown as MeasureGroupInput, notifyOption(input)),
        };
      });
      scope.patch('/people/:id/measures/:grpid', async (request) => {
        const { id, grpid } = request.params as { id: string; grpid: string };
        const input = body(request.body);
        return { group: await admin.editMeasureGroup(id, Number(grpid), input, notifyOption(input)) };
      });
      scope.delete('/people/:id/measures/:grpid', async (request) => {
        const { id, grpid } = request.params as { id: string; grpid: string };
        const notify = (request.query as Json).notify !== 'false';
        return { group: await admin.deleteMeasureGroup(id, Number(grpid), { notify }) };
      });
      scope.put('/people/:id/activity/:date', async (request) => {
        const { id, date } = request.params as { id: string; date: string };
        const { source, notify, ...fields } = body(request.body);
        const options = {
          ...notifyOption({ notify }),
          ...(source ? { source: source as 'watch' | 'phone' } : {}),
        };
        return { activity: await admin.setActivityDay(id, date, fields, options) };
      });
      scope.post('/people/:id/sleep', async (request) => {
        const { id } = request.params as { id: string };
        const input = body(request.body);
        return { series: await admin.setSleepSummary(id, input, notifyOption(input)) };
      });
      scope.delete('/people/:id/sleep/:sleepId', async (request) => {
        const { id, sleepId } = request.params as { id: string; sleepId: string };
        const notify = (request.query as Json).notify !== 'false';
        return { series: await admin.deleteSleepSummary(id, Number(sleepId), { notify }) };
      });
      scope.post('/people/:id/notify', async (request) => {
        const { id } = request.params as { id: string };
        return { deliveries: await admin.notify(id, request.body as NotifyPayload) };
      });
      scope.post('/people/:id/notify-changes', async (request) => {
        const { id } = request.params as { id: string };
        const { since } = body(request.body) as { since: number };
        return { deliveries: await admin.notifyChangesSince(id, since) };
      });
      scope.post('/people/:id/unlink', async (request) => {
        const { id } = request.params as { id: string };
        const { clientId, notify } = body(request.body) as { clientId?: string; notify?: boolean };
        return {
          deliveries: await admin.unlink(id, {
            ...(clientId ? { clientId } : {}),
            ...(notify === false ? { notify } : {}),
          }),
        };
      });
      scope.get('/subscriptions', async () => ({ subscriptions: admin.subscriptions() }));
      scope.get('/deliveries', async () => ({ deliveries: admin.deliveries() }));
      scope.post('/deliveries/deliver', async () => ({ deliveries: await admin.deliverPending() }));
      scope.post('/deliveries/:deliveryId/replay', async (request) => {
        const { deliveryId } = request.params as { deliveryId: string };
        return { delivery: await admin.replay(deliveryId) };
      });
    },
    { prefix: '/_admin/withings' },
  );
}
