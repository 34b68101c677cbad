import Type from 'typebox';
import { MEASUREMENT_TYPES } from '../fhir/measurement.ts';
import { KNOWN_SOURCES, SOURCE_GROUPS } from './source-priority.ts';

// GET/PUT /health/sources (docs/api.md "Source priorities"). Source ids are checked by the service, which
// names the offending list item; the document lists them as an enum (`x-enum`).
const SourceList = Type.Array(Type.String({ maxLength: 64, 'x-enum': KNOWN_SOURCES }), {
  maxItems: 20,
  description: 'source ids, best first; sources left out come after, in the default order',
});
const byName = (names: readonly string[], description: string) =>
  Type.Object(Object.fromEntries(names.map((n) => [n, Type.Optional(SourceList)])), {
    additionalProperties: false,
    description,
  });

export const SourcesBody = Type.Object(
  {
    groups: Type.Optional(
      byName(SOURCE_GROUPS, 'per group of types: body, activity, vitals (a type’s own list wins)'),
    ),
    types: Type.Optional(byName(MEASUREMENT_TYPES, 'per measurement type')),
  },
  {
    additionalProperties: false,
    examples: [{ groups: { body: ['withings', 'fitbit'] }, types: { steps: ['fitbit', 'withings'] } }],
  },
);

const Effective = Type.Object({
  type: Type.String(),
  group: Type.String(),
  rule: Type.String({
    description:
      'the default when no list applies: fixed (scales and cuffs first) or most_days (most days with data in the last 30 local days)',
  }),
  sources: Type.Array(Type.String(), { description: 'the order the summary uses, best first' }),
  default: Type.Boolean({ description: 'true when no stored list (for the type or its group) applies' }),
  recent_days: Type.Record(Type.String(), Type.Integer(), {
    description: 'days with data of this type per source in the last 30 local days',
  }),
});

export const SourcesResponseSchema = Type.Object(
  {
    groups: Type.Record(Type.String(), Type.Array(Type.String()), { description: 'stored lists per group' }),
    types: Type.Record(Type.String(), Type.Array(Type.String()), { description: 'stored lists per type' }),
    effective: Type.Array(Effective),
  },
  {
    examples: [
      {
        groups: { body: ['withings', 'fitbit'] },
        types: {},
        effective: [
          {
            type: 'body_weight',
            group: 'body',
            rule: 'fixed',
            sources: [
              'withings',
              'fitbit',
              'apple_health',
              'health_connect',
              'health_kit',
              'manual',
              'simulation',
            ],
            default: false,
            recent_days: { withings: 12, fitbit: 3 },
          },
          {
            type: 'steps',
            group: 'activity',
            rule: 'most_days',
            sources: [
              'fitbit',
              'withings',
              'apple_health',
              'health_connect',
              'health_kit',
              'manual',
              'simulation',
            ],
            default: true,
            recent_days: { fitbit: 30, withings: 8 },
          },
        ],
      },
    ],
  },
);
