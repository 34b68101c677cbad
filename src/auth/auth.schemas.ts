import Type from 'typebox';

const Email = Type.String({ format: 'email', maxLength: 254 });
const Password = Type.String({ minLength: 8, maxLength: 256 });

export const RegisterBody = Type.Object(
  { email: Email, password: Password, name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
  {
    additionalProperties: false,
    examples: [{ email: 'ada@example.com', password: 'correct horse battery', name: 'Ada' }],
  },
);

export const LoginBody = Type.Object(
  { email: Email, password: Type.String({ minLength: 1, maxLength: 256 }) },
  {
    additionalProperties: false,
    examples: [{ email: 'ada@example.com', password: 'correct horse battery' }],
  },
);

export const RefreshBody = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 512 }) },
  { additionalProperties: false, examples: [{ refresh_token: 'rt_4f7c2b9e1d0a4c8f9b3e6a5d2c1f0e9b' }] },
);

export const LogoutBody = Type.Union(
  [
    Type.Object(
      { refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })) },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  { examples: [{ refresh_token: 'rt_4f7c2b9e1d0a4c8f9b3e6a5d2c1f0e9b' }] },
);

export const TokenPairSchema = Type.Object(
  {
    user: Type.Object({ id: Type.Integer(), email: Type.String(), name: Type.String() }),
    access_token: Type.String(),
    refresh_token: Type.Optional(
      Type.String({
        description:
          'always present for apps; absent when the request asked for the dashboard’s cookie (x-phr-session: cookie)',
      }),
    ),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ description: 'seconds until the access token expires' }),
  },
  {
    examples: [
      {
        user: { id: 1, email: 'ada@example.com', name: 'Ada' },
        access_token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
        refresh_token: 'rt_4f7c2b9e1d0a4c8f9b3e6a5d2c1f0e9b',
        token_type: 'Bearer',
        expires_in: 900,
      },
    ],
  },
);

export const MeSchema = Type.Object(
  {
    id: Type.Integer(),
    email: Type.String(),
    name: Type.String(),
    created_at: Type.String({ format: 'date-time' }),
    fhir_patient_id: Type.String(),
  },
  {
    examples: [
      {
        id: 1,
        email: 'ada@example.com',
        name: 'Ada',
        created_at: '2026-11-02T08:15:00.000Z',
        fhir_patient_id: 'p-8d3f0c2a-7b1e-4f6a-9c5d-2e4b6a8c0d1f',
      },
    ],
  },
);
