import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import Type from 'typebox';
import { principalOf } from '../http/auth-hook.ts';
import { ProblemSchema } from '../http/problem.ts';
import {
  CreateEndpointBody,
  EndpointIdParams,
  EndpointListSchema,
  EndpointSchema,
  EndpointWithSecretSchema,
} from './endpoints.schemas.ts';
import type { EndpointsService } from './endpoints.service.ts';

const tags = ['Webhooks'];
const security = [{ bearerAuth: [] }];
const errors = { 400: ProblemSchema, 401: ProblemSchema };
const withId = { ...errors, 404: ProblemSchema };

/** /webhooks/endpoints: the caller's own webhook endpoints (protected scope, docs/events.md §3). */
export function endpointsRoutes(app: FastifyInstance, endpoints: EndpointsService): void {
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
}
