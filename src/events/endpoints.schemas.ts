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

export const DeliveryParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  event_id: Type.String({ pattern: '^evt_[0-9a-f]{32}$', description: 'the event id (`webhook-id`)' }),
});

const DELIVERY_EXAMPLE = {
  event_id: 'evt_9b1f0c2e4d5a4e8f9a7b6c5d4e3f2a1b',
  type: 'observations.created',
  status: 'pending',
  next_attempt_at: '2026-12-07T20:05:05.000Z',
  attempts: [
    { at: '2026-12-07T20:05:00.000Z', status_code: 503, duration_ms: 112, error: 'HTTP 503', ok: false },
  ],
};

export const DeliveryListSchema = Type.Object(
  {
    items: Type.Array(
      Type.Object({
        event_id: Type.String(),
        type: Type.String(),
        status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
        next_attempt_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
        attempts: Type.Array(
          Type.Object({
            at: Type.String({ format: 'date-time' }),
            status_code: Type.Union([Type.Integer(), Type.Null()], {
              description: 'null when no answer came',
            }),
            duration_ms: Type.Integer(),
            error: Type.Union([Type.String(), Type.Null()]),
            ok: Type.Boolean(),
          }),
        ),
      }),
    ),
  },
  { examples: [{ items: [DELIVERY_EXAMPLE] }] },
);

export const RetryResponseSchema = Type.Object(
  { status: Type.Literal('pending') },
  { examples: [{ status: 'pending' }] },
);
