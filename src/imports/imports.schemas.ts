import Type from 'typebox';
import { IMPORT_STATUSES } from './imports.tables.ts';

// POST /imports/apple-health, GET /imports, GET /imports/{id}, DELETE /imports/{id} (docs/api.md "Imports").
export const ImportIdParams = Type.Object(
  { id: Type.String({ maxLength: 64 }) },
  { additionalProperties: false },
);

const Counts = Type.Record(Type.String(), Type.Integer());

const EXAMPLE = {
  id: '3b5c1e0a-6f0e-4f57-9f3e-1b2d4c5e6f70',
  kind: 'apple_health',
  status: 'succeeded',
  progress: 1,
  bytes: 10_912_331,
  records_read: 614_455,
  created: 4_210,
  updated: 12,
  unchanged: 0,
  skipped: { unsupported_type: 18_034 },
  by_type: { steps: 201_554, heart_rate: 310_221, sleep: 4_870 },
  created_at: '2026-12-07T20:00:00.000Z',
  started_at: '2026-12-07T20:00:01.000Z',
  finished_at: '2026-12-07T20:00:31.000Z',
  error: null,
};

export const ImportSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    kind: Type.String({ description: '`apple_health`' }),
    status: Type.Union(
      IMPORT_STATUSES.map((s) => Type.Literal(s)),
      { description: 'queued, running, then succeeded or failed' },
    ),
    progress: Type.Number({
      minimum: 0,
      maximum: 1,
      description: 'share done, updated at least every second while running',
    }),
    bytes: Type.Integer({ description: 'size of the uploaded file' }),
    records_read: Type.Integer({ description: '<Record> elements read from export.xml' }),
    created: Type.Integer({ description: 'Observations created' }),
    updated: Type.Integer({ description: 'Observations whose content changed' }),
    unchanged: Type.Integer({ description: 'Observations already stored as they are' }),
    skipped: { ...Counts, description: 'records not imported, per reason' },
    by_type: { ...Counts, description: 'records mapped, per measurement type' },
    created_at: Type.String({ format: 'date-time' }),
    started_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    finished_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    error: Type.Union([Type.String(), Type.Null()], {
      description: 'why it failed (a failed import is undone)',
    }),
  },
  { examples: [EXAMPLE] },
);

export const ImportListSchema = Type.Object(
  { imports: Type.Array(ImportSchema) },
  { examples: [{ imports: [EXAMPLE] }] },
);

export const ImportQueuedSchema = Type.Object(
  { id: Type.String({ format: 'uuid' }), status: Type.Literal('queued') },
  { examples: [{ id: EXAMPLE.id, status: 'queued' }] },
);
