import Type, { type Static, type TSchema } from 'typebox';
import { MEASUREMENT_TYPES } from '../fhir/measurement.ts';

// Query strings are coerced (a single `type=` becomes a one-item array); unknown parameters are a
// 400 naming them. Values are parsed in health.query-parser.ts so every bad one names its field.
const List = (maxLength: number, values?: readonly string[]) =>
  Type.Array(Type.String({ maxLength, ...(values ? { 'x-enum': values } : {}) }), {
    maxItems: 50,
    description: 'repeatable, or a comma-separated list',
  });
/** Measurement types: checked by the service (health.query-parser.ts), listed as an enum in the OpenAPI document. */
const TypeName = { 'x-enum': MEASUREMENT_TYPES };
const DateOrDateTime = Type.String({
  maxLength: 40,
  description: 'YYYY-MM-DD (a local day boundary in your time zone) or an RFC 3339 date-time',
});
const Sort = Type.Union([Type.Literal('-date'), Type.Literal('date')], { default: '-date' });

const filterFields = {
  type: Type.Optional(List(400, MEASUREMENT_TYPES)),
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
    type: Type.String({ maxLength: 40, description: `one of ${MEASUREMENT_TYPES.join(', ')}`, ...TypeName }),
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
  components: Type.Optional(
    Type.Record(Type.String(), Type.Number(), {
      description:
        'sleep: minutes per stage (awake, light, deep, rem, asleep, restless); blood_pressure: systolic and diastolic in mm[Hg], `value` being the systolic one',
    }),
  ),
  stages: Type.Optional(
    Type.Array(Type.Object({ stage: Type.String(), start: Type.String(), end: Type.String() }), {
      description:
        "sleep only, when the source sent one: the night's stage sequence (hypnogram) in time order, times with the record's offset",
      examples: [
        [
          { stage: 'light', start: '2026-10-04T23:10:00-04:00', end: '2026-10-04T23:40:00-04:00' },
          { stage: 'deep', start: '2026-10-04T23:40:00-04:00', end: '2026-10-05T00:25:00-04:00' },
        ],
      ],
    }),
  ),
});

export const HealthObservationsResponseSchema = Type.Object(
  {
    items: Type.Array(HealthObservationSchema),
    next_cursor: Nullable(Type.String()),
    limit: Type.Integer(),
  },
  {
    examples: [
      {
        items: [
          {
            id: 'o-1f2e3d4c5b6a',
            type: 'steps',
            status: 'final',
            code: { system: 'http://loinc.org', code: '55423-8', display: 'Number of steps' },
            value: 8042,
            unit: '{steps}',
            unit_display: 'steps',
            effective_start: '2026-11-01T00:00:00+01:00',
            effective_end: '2026-11-02T00:00:00+01:00',
            date: '2026-11-01',
            source: { vendor: 'fitbit', device: 'Pixel Watch 3' },
            samples: null,
          },
        ],
        next_cursor: 'eyJkIjoiMjAyNi0xMS0wMSJ9',
        limit: 50,
      },
    ],
  },
);

export const SummaryResponseSchema = Type.Object(
  {
    type: Type.String(),
    unit: Type.String(),
    unit_display: Type.String({ description: 'the unit as people read it, as on /health/observations' }),
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
        source: Nullable(
          Type.String({
            description:
              'the source counted: on a day, the one chosen that day (docs/sources.md); on a week or month, the one chosen on most of its days (null: observations without a source tag)',
          }),
        ),
        sources: Type.Optional(
          Type.Array(Type.Object({ source: Nullable(Type.String()), days: Type.Integer() }), {
            description:
              'weeks and months only: the sources chosen on the bucket’s days, with how many days each, most days first',
          }),
        ),
      }),
    ),
  },
  {
    examples: [
      {
        type: 'steps',
        unit: '{steps}',
        unit_display: 'steps',
        bucket: 'day',
        time_zone: 'Europe/Berlin',
        buckets: [
          {
            date: '2026-11-01',
            start: '2026-11-01T00:00:00+01:00',
            end: '2026-11-02T00:00:00+01:00',
            count: 1,
            min: 8042,
            max: 8042,
            avg: 8042,
            sum: 8042,
            source: 'fitbit',
          },
        ],
      },
    ],
  },
);
