/**
 * The account's display preferences: units and daily goals (docs/api.md "Preferences").
 *
 *   get(principal)          -> the stored preferences, or the defaults (updated_at null)
 *   update(principal, body) -> merged into the stored ones; `units.system` sets all three units,
 *                              a unit named beside it wins
 */
import type { Principal } from '../auth/auth.service.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import * as repo from './preferences.repository.ts';
import type { Preferences, PreferencesPatchBody } from './preferences.schemas.ts';

const SYSTEMS = {
  metric: { distance_unit: 'km', weight_unit: 'kg', temperature_unit: 'C' },
  imperial: { distance_unit: 'mi', weight_unit: 'lb', temperature_unit: 'F' },
} as const;

export const DEFAULT_PREFERENCES: Preferences = {
  units: { distance: 'km', weight: 'kg', temperature: 'C' },
  goals: { steps: 10_000, energy: 2500, sleep: 480 },
  updated_at: null,
};

export type PreferencesService = ReturnType<typeof createPreferencesService>;

export function createPreferencesService({ db, clock }: { db: Db; clock: Clock }) {
  return {
    async get(principal: Principal): Promise<Preferences> {
      const row = await repo.findPreferences(db, principal.userId);
      return row ? toPreferences(row) : DEFAULT_PREFERENCES;
    },

    async update(principal: Principal, body: PreferencesPatchBody): Promise<Preferences> {
      const units = body.units ?? {};
      const goals = body.goals ?? {};
      const change: repo.PreferencesChange = {
        ...(units.system ? SYSTEMS[units.system] : {}),
        ...(units.distance ? { distance_unit: units.distance } : {}),
        ...(units.weight ? { weight_unit: units.weight } : {}),
        ...(units.temperature ? { temperature_unit: units.temperature } : {}),
        ...(goals.steps !== undefined ? { steps_goal: goals.steps } : {}),
        ...(goals.energy !== undefined ? { energy_goal: goals.energy } : {}),
        ...(goals.sleep !== undefined ? { sleep_goal: goals.sleep } : {}),
      };
      return toPreferences(await repo.upsertPreferences(db, principal.userId, change, clock.now()));
    },
  };
}

function toPreferences(row: repo.PreferencesRow): Preferences {
  return {
    units: { distance: row.distance_unit, weight: row.weight_unit, temperature: row.temperature_unit },
    goals: { steps: row.steps_goal, energy: row.energy_goal, sleep: row.sleep_goal },
    updated_at: row.updated_at.toISOString(),
  };
}
