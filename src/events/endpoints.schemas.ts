import Type from 'typebox';
import { EVENT_TYPES } from './events.types.ts';

// /webhooks/endpoints (docs/events.md §3). The URL is checked by the service (https, public
// addresses), which names the field; event types are an enum the validator checks.
export const EndpointIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

const EventTypeSchema = Type.Union(
  EVENT_TYPES.map((t) => Type.Literal(t)),
  { description: 'an event type (docs/events.md)' },
);

export const CreateEndpointBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'https URL with a public address' }),
    events: Type.Optional(
      Type.Array(EventTypeSchema, {
        minItems: 1,
        maxItems: EVENT_TYPES.length,
        uniqueItems: true,
        description: 'the types it receives; leave out for every type',
      }),
    ),
    description: Type.Optional(Type.String({ maxLength: 500 })),
  },
  {
    additionalProperties: false,
    examples: [
      {
        url: 'https://example.com/phr-events',
        events: ['observations.created', 'integration.needs_reauth'],
        description: 'home server',
      },
    ],
  },
);

const ENDPOINT_EXAMPLE = {
  id: '0b0e7d5c-3f5a-4c1e-9f6e-2d7c1a9b8e41',
  url: 'https://example.com/phr-events',
  events: ['observations.created', 'integration.needs_reauth'],
  description: 'home server',
  status: 'enabled',
  created_at: '2026-12-07T20:00:00.000Z',
};
const SECRET_EXAMPLE = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const endpointProperties = {
  id: Type.String({ format: 'uuid' }),
  url: Type.String(),
  events: Type.Union([Type.Array(Type.String()), Type.Null()], {
    description: 'the types it receives; null for every type',
  }),
  description: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]),
  created_at: Type.String({ format: 'date-time' }),
};

export const EndpointSchema = Type.Object(endpointProperties, { examples: [ENDPOINT_EXAMPLE] });

export const EndpointWithSecretSchema = Type.Object(
  {
    ...endpointProperties,
    secret: Type.String({
      description: 'the signing secret (`whsec_` + base64 of 32 bytes): shown only in this answer',
    }),
  },
  { examples: [{ ...ENDPOINT_EXAMPLE, secret: SECRET_EXAMPLE }] },
);

export const EndpointListSchema = Type.Object(
  { items: Type.Array(EndpointSchema) },
  { examples: [{ items: [ENDPOINT_EXAMPLE] }] },
);
