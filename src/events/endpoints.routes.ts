import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import Type from 'typebox';
import { principalOf } from '../http/auth-hook.ts';
import { ProblemSchema } from '../http/problem.ts';
import type { Delivery } from './delivery.ts';
import {
  CreateEndpointBody,
  DeliveryListSchema,
  DeliveryParams,
  EndpointIdParams,
  EndpointListSchema,
  EndpointSchema,
  EndpointWithSecretSchema,
  RetryResponseSchema,
} from './endpoints.schemas.ts';
import type { EndpointsService } from './endpoints.service.ts';

const tags = ['Webhooks'];
const security = [{ bearerAuth: [] }];
const errors = { 400: ProblemSchema, 401: ProblemSchema };
const withId = { ...errors, 404: ProblemSchema };

/** /webhooks/endpoints: the caller's own webhook endpoints (protected scope, docs/events.md §3). */
export function endpointsRoutes(app: FastifyInstance, endpoints: EndpointsService, delivery: Delivery): void {
  app.post<{ Body: Static<typeof CreateEndpointBody> }>(
    '/webhooks/endpoints',
    {
      config: { audit: 'webhooks.endpoint.create' },
      schema: {
        tags,
        security,
        summary: 'Register a webhook endpoint',
        description:
          'Registers an https URL that receives the caller’s events (all types, or those listed), signed per Standard Webhooks. The answer holds the signing secret: it is not shown again (rotate it to get a new one). The URL must resolve to public addresses only.',
        body: CreateEndpointBody,
        response: { 201: EndpointWithSecretSchema, ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(await endpoints.create(principalOf(req), req.body)),
  );

  app.get(
    '/webhooks/endpoints',
    {
      config: { audit: 'webhooks.endpoint.list' },
      schema: {
        tags,
        security,
        summary: 'List webhook endpoints',
        description: 'The caller’s endpoints, oldest first, without their secrets.',
        response: { 200: EndpointListSchema, ...errors },
      },
    },
    async (req) => endpoints.list(principalOf(req)),
  );

  app.get<{ Params: Static<typeof EndpointIdParams> }>(
    '/webhooks/endpoints/:id',
    {
      config: { audit: 'webhooks.endpoint.read' },
      schema: {
        tags,
        security,
        summary: 'Read a webhook endpoint',
        description: 'One of the caller’s endpoints, without its secret.',
        params: EndpointIdParams,
        response: { 200: EndpointSchema, ...withId },
      },
    },
    async (req) => endpoints.get(principalOf(req), req.params.id),
  );

  app.delete<{ Params: Static<typeof EndpointIdParams> }>(
    '/webhooks/endpoints/:id',
    {
      config: { audit: 'webhooks.endpoint.delete' },
      schema: {
        tags,
        security,
        summary: 'Delete a webhook endpoint',
        description: 'Deletes the endpoint; nothing more is sent to it.',
        params: EndpointIdParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...withId },
      },
    },
    async (req, reply) => {
      await endpoints.delete(principalOf(req), req.params.id);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Static<typeof EndpointIdParams> }>(
    '/webhooks/endpoints/:id/rotate-secret',
    {
      config: { audit: 'webhooks.endpoint.rotate_secret' },
      schema: {
        tags,
        security,
        summary: 'Rotate a webhook endpoint’s secret',
        description:
          'Replaces the signing secret at once and answers the endpoint with the new secret, shown only here.',
        params: EndpointIdParams,
        response: { 200: EndpointWithSecretSchema, ...withId },
      },
    },
    async (req) => endpoints.rotateSecret(principalOf(req), req.params.id),
  );

  app.get<{ Params: Static<typeof EndpointIdParams> }>(
    '/webhooks/endpoints/:id/deliveries',
    {
      config: { audit: 'webhooks.deliveries.read' },
      schema: {
        tags,
        security,
        summary: 'Deliveries of a webhook endpoint',
        description:
          'The endpoint’s latest 100 deliveries, newest first: the event, its state (`pending` while retries remain, `succeeded`, `failed`), the next try, and every attempt with its time, HTTP status or error, and duration.',
        params: EndpointIdParams,
        response: { 200: DeliveryListSchema, ...withId },
      },
    },
    async (req) => delivery.listDeliveries(principalOf(req), req.params.id),
  );

  app.post<{ Params: Static<typeof DeliveryParams> }>(
    '/webhooks/endpoints/:id/deliveries/:event_id/retry',
    {
      config: { audit: 'webhooks.deliveries.retry' },
      schema: {
        tags,
        security,
        summary: 'Send an event to a webhook endpoint again',
        description:
          'Queues the delivery of one event to the endpoint again (a failed or succeeded one starts a fresh series of attempts; a pending one keeps its schedule). 404 when the endpoint never had the event; 409 when the endpoint is disabled.',
        params: DeliveryParams,
        response: { 202: RetryResponseSchema, ...withId, 409: ProblemSchema },
      },
    },
    async (req, reply) =>
      reply.code(202).send(await delivery.retry(principalOf(req), req.params.id, req.params.event_id)),
  );
}
