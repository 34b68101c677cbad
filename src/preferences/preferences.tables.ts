import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export const DISTANCE_UNITS = ['km', 'mi'] as const;
export const WEIGHT_UNITS = ['kg', 'lb'] as const;
export const TEMPERATURE_UNITS = ['C', 'F'] as const;

/** The account's display units and daily goals (migration 0020). */
export interface UserPreferencesTable {
  user_id: number;
  distance_unit: Generated<(typeof DISTANCE_UNITS)[number]>;
  weight_unit: Generated<(typeof WEIGHT_UNITS)[number]>;
  temperature_unit: Generated<(typeof TEMPERATURE_UNITS)[number]>;
  steps_goal: Generated<number>;
  /** kcal burned per day (the `calories` type: total energy, not only activity). */
  energy_goal: Generated<number>;
  /** minutes asleep per night. */
  sleep_goal: Generated<number>;
  updated_at: Timestamp;
}

export interface PreferenceTables {
  user_preferences: UserPreferencesTable;
}
