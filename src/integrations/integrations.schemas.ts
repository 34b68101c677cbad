import Type from 'typebox';
import { INTEGRATION_STATUSES } from './integrations.tables.ts';

const Status = Type.Union(INTEGRATION_STATUSES.map((s) => Type.Literal(s)));
const NullableDate = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);
const VendorId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9_-]+$' });

export const VendorParams = Type.Object({ vendor: VendorId });
export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const AvailableVendorsSchema = Type.Array(
  Type.Object({
    vendor: Type.String(),
    display_name: Type.String(),
    data_types: Type.Array(Type.String()),
    status: Type.Literal('available'),
  }),
  {
    examples: [
      [
        {
          vendor: 'fitbit',
          display_name: 'Fitbit',
          data_types: ['steps', 'heart_rate'],
          status: 'available',
        },
      ],
    ],
  },
);

export const SelectVendorBody = Type.Object(
  { vendor: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false, examples: [{ vendor: 'fitbit' }] },
);

const INTEGRATION_EXAMPLE = {
  id: '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b',
  vendor: 'fitbit',
  display_name: 'Fitbit',
  status: 'connected',
  is_active: true,
  created_at: '2026-11-02T08:00:00.000Z',
  connected_at: '2026-11-02T08:01:00.000Z',
  last_sync_at: '2026-11-02T08:15:04.000Z',
  last_sync_status: 'succeeded',
  next_sync_at: '2026-11-02T09:15:00.000Z',
  vendor_user_id: '4KJ9XC',
  legacy_vendor_user_id: null,
  scopes: ['activity', 'heartrate'],
  missing_scopes: [],
  skipped_types: [],
};

export const VendorIntegrationInfoSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    vendor: Type.String(),
    display_name: Type.String(),
    status: Status,
    is_active: Type.Boolean(),
    created_at: Type.String({ format: 'date-time' }),
    connected_at: NullableDate,
    last_sync_at: NullableDate,
    last_sync_status: NullableString,
    next_sync_at: NullableDate,
    vendor_user_id: NullableString,
    legacy_vendor_user_id: NullableString,
    scopes: Type.Array(Type.String()),
    missing_scopes: Type.Array(Type.String()),
    skipped_types: Type.Array(Type.String()),
  },
  { $id: 'VendorIntegrationInfo', examples: [INTEGRATION_EXAMPLE] },
);

export const ListIntegrationsQuery = Type.Object(
  { active_only: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

export const IntegrationListSchema = Type.Object(
  { integrations: Type.Array(VendorIntegrationInfoSchema) },
  { examples: [{ integrations: [INTEGRATION_EXAMPLE] }] },
);

export const IntegrationStatusSchema = Type.Object(
  {
    vendor: Type.String(),
    connected: Type.Boolean(),
    is_connected: Type.Boolean(),
    status: Type.Union([Status, Type.Null()]),
    vendor_user_id: NullableString,
    scopes: Type.Array(Type.String()),
    missing_scopes: Type.Array(Type.String()),
    skipped_types: Type.Array(Type.String()),
    last_sync_at: NullableDate,
    last_sync_status: NullableString,
    next_sync_at: NullableDate,
    message: Type.String(),
  },
  {
    $id: 'IntegrationStatus',
    examples: [
      {
        vendor: 'fitbit',
        connected: true,
        is_connected: true,
        status: 'connected',
        vendor_user_id: '4KJ9XC',
        scopes: ['activity', 'heartrate'],
        missing_scopes: [],
        skipped_types: [],
        last_sync_at: '2026-11-02T08:15:04.000Z',
        last_sync_status: 'succeeded',
        next_sync_at: '2026-11-02T09:15:00.000Z',
        message: 'Connected',
      },
    ],
  },
);

export const AuthorizeQuery = Type.Object(
  {
    redirect: Type.Optional(Type.Boolean()),
    /** The PHR-App opens this route in a browser with its access token here. */
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    login_hint: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
);

export const AuthorizeResponseSchema = Type.Object(
  {
    authorization_url: Type.String(),
    state: Type.String(),
    expires_at: Type.String({ format: 'date-time' }),
  },
  {
    examples: [
      {
        authorization_url:
          'https://accounts.google.com/o/oauth2/v2/auth?client_id=phr&response_type=code&state=Zk9x2&code_challenge=E9Mel&code_challenge_method=S256',
        state: 'Zk9x2',
        expires_at: '2026-11-02T08:25:00.000Z',
      },
    ],
  },
);

/** What the vendor appends to the redirect URI; Google adds more (scope, authuser, prompt, hd, iss). */
export const CallbackQuery = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 4096 })),
  state: Type.Optional(Type.String({ maxLength: 512 })),
  error: Type.Optional(Type.String({ maxLength: 256 })),
  error_description: Type.Optional(Type.String({ maxLength: 2048 })),
  scope: Type.Optional(Type.String({ maxLength: 4096 })),
  iss: Type.Optional(Type.String({ maxLength: 512 })),
});

export const OAuthResultQuery = Type.Object({
  status: Type.Optional(Type.String({ maxLength: 32 })),
  vendor: Type.Optional(Type.String({ maxLength: 64 })),
  code: Type.Optional(Type.String({ maxLength: 64 })),
});
