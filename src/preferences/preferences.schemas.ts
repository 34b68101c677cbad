import Type, { type Static } from 'typebox';

const Units = {
  distance: Type.Union([Type.Literal('km'), Type.Literal('mi')], { description: 'km or mi' }),
  weight: Type.Union([Type.Literal('kg'), Type.Literal('lb')], {
    description: 'kg or lb (weight and body-composition masses)',
  }),
  temperature: Type.Union([Type.Literal('C'), Type.Literal('F')], {
    description: 'C or F (body and skin temperature)',
  }),
};
const Goals = {
  steps: Type.Integer({ minimum: 100, maximum: 100_000, description: 'steps per day' }),
  energy: Type.Integer({ minimum: 100, maximum: 20_000, description: 'kcal burned per day (total energy)' }),
  sleep: Type.Integer({ minimum: 60, maximum: 960, description: 'minutes asleep per night' }),
};

export const PreferencesSchema = Type.Object(
  {
    units: Type.Object(Units),
    goals: Type.Object(Goals),
    updated_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'null while the defaults apply',
    }),
  },
  {
    examples: [
      {
        units: { distance: 'km', weight: 'kg', temperature: 'C' },
        goals: { steps: 10000, energy: 2500, sleep: 480 },
        updated_at: null,
      },
    ],
  },
);

export const PreferencesPatch = Type.Object(
  {
    units: Type.Optional(
      Type.Object(
        {
          system: Type.Optional(
            Type.Union([Type.Literal('metric'), Type.Literal('imperial')], {
              description: 'sets all three units at once',
            }),
          ),
          distance: Type.Optional(Units.distance),
          weight: Type.Optional(Units.weight),
          temperature: Type.Optional(Units.temperature),
        },
        { additionalProperties: false },
      ),
    ),
    goals: Type.Optional(
      Type.Object(
        {
          steps: Type.Optional(Goals.steps),
          energy: Type.Optional(Goals.energy),
          sleep: Type.Optional(Goals.sleep),
        },
        { additionalProperties: false },
      ),
    ),
  },
  {
    additionalProperties: false,
    examples: [{ units: { system: 'imperial', temperature: 'C' } }, { goals: { steps: 8000 } }],
  },
);

export type Preferences = Static<typeof PreferencesSchema>;
export type PreferencesPatchBody = Static<typeof PreferencesPatch>;
