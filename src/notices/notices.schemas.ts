import Type from 'typebox';
import { NOTICE_KINDS } from './notices.tables.ts';

// GET /notices, POST /notices/{id}/dismiss (docs/api.md "Notices", docs/events.md §7).
export const NoticeIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

const NOTICE_EXAMPLE = {
  id: '5f1f3c2e-8a4b-4d1e-9c7a-3b2e1d0f9a88',
  kind: 'integration.needs_reauth',
  vendor: 'withings',
  integration_id: '0b0e7d5c-3f5a-4c1e-9f6e-2d7c1a9b8e41',
  code: 'VENDOR_AUTH_REVOKED',
  message: 'Withings access was revoked or expired: connect again',
  created_at: '2026-12-07T20:00:00.000Z',
};

export const NoticeSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    kind: Type.Union(
      NOTICE_KINDS.map((k) => Type.Literal(k)),
      {
        description:
          '`integration.needs_reauth`: connect the vendor again; `sync.failing`: its last 3 syncs failed; ' +
          '`integration.legacy_mismatch`: the Fitbit account connected is not the one whose history was imported',
      },
    ),
    vendor: Type.String({ description: 'the vendor id (fitbit, withings)' }),
    integration_id: Type.String({ format: 'uuid' }),
    code: Type.String({
      description: 'the stable cause code (VENDOR_AUTH_REVOKED, VENDOR_UNAVAILABLE, ...)',
    }),
    message: Type.String({ description: 'a sentence for the person' }),
    created_at: Type.String({ format: 'date-time' }),
  },
  { examples: [NOTICE_EXAMPLE] },
);

export const NoticeListSchema = Type.Object(
  { notices: Type.Array(NoticeSchema) },
  { examples: [{ notices: [NOTICE_EXAMPLE] }] },
);
