import Type, { type Static, type TSchema } from 'typebox';
import { MEASUREMENT_TYPES } from '../fhir/measurement.ts';

// Query strings are coerced (a single `type=` becomes a one-item array); unknown parameters are a
// 400 naming them. Values are parsed in health.query-parser.ts so every bad one names its field.
const List = (maxLength: number) =>
  Type.Array(Type.String({ maxLength }), {
    maxItems: 50,
    description: 'repeatable, or a comma-separated list',
  });
const DateOrDateTime = Type.String({
  maxLength: 40,
  description: 'YYYY-MM-DD (a local day boundary in your time zone) or an RFC 3339 date-time',
});
const Sort = Type.Union([Type.Literal('-date'), Type.Literal('date')], { default: '-date' });

const filterFields = {
  type: Type.Optional(List(400)),
  start: Type.Optional(DateOrDateTime),
  end: Type.Optional(DateOrDateTime),
  source: Type.Optional(List(200)),
  sort: Type.Optional(Sort),
};

export const ObservationsQuery = Type.Object(
  {
    ...filterFields,
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 400 })),
  },
  { additionalProperties: false },
);

export const SummaryQuery = Type.Object(
  {
    type: Type.String({ maxLength: 40, description: `one of ${MEASUREMENT_TYPES.join(', ')}` }),
    start: Type.Optional(DateOrDateTime),
    end: Type.Optional(DateOrDateTime),
    bucket: Type.Optional(
      Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], { default: 'day' }),
    ),
  },
  { additionalProperties: false },
);

export const ExportQuery = Type.Object(
  {
    ...filterFields,
    format: Type.Union([Type.Literal('csv'), Type.Literal('ndjson'), Type.Literal('bundle')]),
  },
  { additionalProperties: false },
);

/**
 * `type: [T, 'null']` rather than anyOf: fast-json-stringify serializes a type list with a typeof
 * check, but picks an anyOf branch by running Ajv on the value (for every item of every page).
 */
const Nullable = <T extends TSchema>(t: T) =>
  Type.Unsafe<Static<T> | null>({ ...t, type: [(t as unknown as { type: string }).type, 'null'] });

export const HealthObservationSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  status: Type.String(),
  code: Type.Object({ system: Type.String(), code: Type.String(), display: Type.String() }),
  value: Type.Number(),
  unit: Type.String(),
  unit_display: Type.String(),
  effective_start: Type.String(),
  effective_end: Nullable(Type.String()),
  date: Type.String(),
  source: Type.Object({ vendor: Nullable(Type.String()), device: Nullable(Type.String()) }),
  samples: Nullable(Type.Array(Type.Object({ time: Type.String(), value: Type.Number() }))),
  components: Type.Optional(Type.Record(Type.String(), Type.Number())),
});

export const HealthObservationsResponseSchema = Type.Object({
  items: Type.Array(HealthObservationSchema),
  next_cursor: Nullable(Type.String()),
  limit: Type.Integer(),
});

export const SummaryResponseSchema = Type.Object({
  type: Type.String(),
  unit: Type.String(),
  bucket: Type.String(),
  time_zone: Type.String(),
  buckets: Type.Array(
    Type.Object({
      date: Type.String({ description: 'the bucket’s first local date' }),
      start: Type.String(),
      end: Type.String(),
      count: Type.Integer({
        description: 'values in the bucket: one per observation, one per sample of a heart-rate window',
      }),
      min: Nullable(Type.Number()),
      max: Nullable(Type.Number()),
      avg: Nullable(Type.Number()),
      sum: Nullable(Type.Number()),
    }),
  ),
});
