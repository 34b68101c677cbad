/**
 * Which source counts on a day when several measured the same type (docs/sources.md): the rules,
 * pure. One table puts each measurement type in a group; each group has a default order.
 *
 *   groupOf('body_weight')                       -> 'body'
 *   effectiveOrder('steps', stored, recentDays)  -> { sources: ['fitbit', 'withings', ...], default: true }
 *
 * Groups and their defaults:
 *   body      scales and cuffs first, a fixed order: withings, apple_health, fitbit, then the rest
 *   activity  the wearable worn most: most days with data of that type in the last 30 local days
 *   vitals    sleep and vital signs: the same rule as activity (the device worn at night)
 * Ties (and sources without recent days) keep the group's fixed order; a source no list names
 * comes last (the summary orders those by name).
 * `fitbit_legacy` (history imported from the original backend, docs/migrating-from-phr-py.md) is
 * the same tracker's older data: by default it never goes before `fitbit`, so on a day both have
 * the Google Health value counts and the legacy one fills the days before.
 * A person's stored list (per type, or per group) goes first; sources it leaves out follow in the
 * default order.
 */
import { WRITE_SOURCES } from '../fhir/writes/write-source.ts';
import { VENDOR_IDS } from '../vendors/types.ts';

export const SOURCE_GROUPS = ['body', 'activity', 'vitals'] as const;
export type SourceGroup = (typeof SOURCE_GROUPS)[number];

/** The source of Fitbit history imported from the original backend (src/migrate/phr-py). */
export const LEGACY_FITBIT_SOURCE = 'fitbit_legacy';

/**
 * The group of each measurement type, by name: a type added to MEASUREMENT_TYPES
 * (src/fhir/measurement.ts) gets its line here. test/health/source-priority.test.ts fails for a
 * type left out.
 */
const TYPE_GROUPS: Readonly<Record<string, SourceGroup>> = {
  body_weight: 'body',
  body_fat: 'body',
  fat_mass: 'body',
  fat_free_mass: 'body',
  muscle_mass: 'body',
  bone_mass: 'body',
  height: 'body',
  blood_pressure: 'body',
  body_temperature: 'body',
  blood_glucose: 'body',
  steps: 'activity',
  distance: 'activity',
  calories: 'activity',
  vo2_max: 'activity',
  sleep: 'vitals',
  heart_rate: 'vitals',
  resting_heart_rate: 'vitals',
  hrv_rmssd: 'vitals',
  hrv_sdnn: 'vitals',
  spo2: 'vitals',
  respiratory_rate: 'vitals',
  skin_temperature: 'vitals',
  skin_temperature_deviation: 'vitals',
};

/** Every source a priority list may name: the vendors (planned ones too) and the user-write sources. */
export const KNOWN_SOURCES: readonly string[] = [
  ...new Set(['withings', 'apple_health', 'fitbit', ...VENDOR_IDS, ...WRITE_SOURCES, LEGACY_FITBIT_SOURCE]),
];

export type DefaultRule = 'fixed' | 'most_days';

/** Days looked back for "worn most": the last 30 local days, today included. */
export const RECENT_DAYS = 30;

const DEVICES_LAST = ['health_connect', 'health_kit', 'manual', 'simulation', LEGACY_FITBIT_SOURCE];

const GROUP_RULES: Readonly<Record<SourceGroup, { rule: DefaultRule; order: readonly string[] }>> = {
  body: { rule: 'fixed', order: ['withings', 'apple_health', 'fitbit', ...DEVICES_LAST] },
  activity: { rule: 'most_days', order: ['fitbit', 'withings', 'apple_health', ...DEVICES_LAST] },
  vitals: { rule: 'most_days', order: ['fitbit', 'withings', 'apple_health', ...DEVICES_LAST] },
};

export function isSourceGroup(value: string): value is SourceGroup {
  return (SOURCE_GROUPS as readonly string[]).includes(value);
}

/** Types nobody placed count as vital signs (most days): the safe default for a wearable's data. */
export function groupOf(type: string): SourceGroup {
  return TYPE_GROUPS[type] ?? 'vitals';
}

/** True when `type` is placed in the table (a test checks every measurement type is). */
export function hasGroup(type: string): boolean {
  return Object.hasOwn(TYPE_GROUPS, type);
}

export function ruleOf(group: SourceGroup): DefaultRule {
  return GROUP_RULES[group].rule;
}

/** The scope a group's stored list is kept under (a type's is the type itself). */
export function groupScope(group: SourceGroup): string {
  return `group:${group}`;
}

export interface StoredOrders {
  /** The person's list for this type, if any. */
  type?: readonly string[] | undefined;
  /** The person's list for the type's group, if any (the type's own list wins). */
  group?: readonly string[] | undefined;
}

export interface EffectiveOrder {
  sources: string[];
  /** No stored list applies: the group's default order. */
  default: boolean;
}

/**
 * The order the summary prefers sources in for `type`. `recentDays`: per source, its days with data
 * of this type in the last RECENT_DAYS local days (read only for the most-days groups).
 */
export function effectiveOrder(
  type: string,
  stored: StoredOrders,
  recentDays: ReadonlyMap<string, number> = new Map(),
): EffectiveOrder {
  const fallback = defaultOrder(groupOf(type), recentDays);
  const chosen = stored.type ?? stored.group;
  if (!chosen) return { sources: fallback, default: true };
  return { sources: [...chosen, ...fallback.filter((s) => !chosen.includes(s))], default: false };
}

function defaultOrder(group: SourceGroup, recentDays: ReadonlyMap<string, number>): string[] {
  const { rule, order } = GROUP_RULES[group];
  const all = [...new Set([...order, ...KNOWN_SOURCES])];
  if (rule === 'fixed') return all;
  // Sources seen in the data but named by no list (a vendor added later) take part by their days.
  const seen = [...recentDays.keys()].filter((s) => s !== '' && !all.includes(s)).sort();
  const days = (s: string) => recentDays.get(s) ?? 0;
  const sorted = [...all, ...seen].sort((a, b) => days(b) - days(a)); // stable: ties keep the fixed order
  return legacyAfterFitbit(sorted);
}

/** The imported Fitbit history moved to just after `fitbit` when its recent days put it before. */
function legacyAfterFitbit(order: string[]): string[] {
  const legacy = order.indexOf(LEGACY_FITBIT_SOURCE);
  const fitbit = order.indexOf('fitbit');
  if (legacy < 0 || fitbit < 0 || legacy > fitbit) return order;
  const rest = order.filter((s) => s !== LEGACY_FITBIT_SOURCE);
  rest.splice(rest.indexOf('fitbit') + 1, 0, LEGACY_FITBIT_SOURCE);
  return rest;
}
